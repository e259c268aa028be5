#!/usr/bin/env bats
# skiff commit (a container's changes as a new image) and skiff history.
load helpers

per_test_setup() { import_busybox; }
per_test_teardown() { remove_all_containers; }

# The store's images and layers, for "nothing was added" checks.
store_objects() { ls -A "$SKIFF_ROOT/images" "$SKIFF_ROOT/layers" 2>/dev/null | sort; }

# last_layer_names IMAGE: the names in the image's top layer, as save writes it.
last_layer_names() {
  local out
  out=$(mktemp -d "$SKIFF_TEST_DIR/saved.XXXXXX")
  "$SKIFF" save "$1" | tar -x -C "$out" || return 1
  local layer
  layer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["Layers"][-1])' "$out/manifest.json")
  tar -tf "$out/$layer"
}

@test "commit makes an image of a container's changes: added, changed and deleted files, new folders" {
  run_skiff run --name c1 busybox sh -c 'echo hello > /greeting; echo changed > /etc/motd; rm /bin/vi; mkdir -p /d/e; touch /d/e/f'
  run_skiff_split commit c1 mine:1
  [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
  id=$output
  run_skiff run --rm mine:1 sh -c 'cat /greeting /etc/motd; ls /d/e; test ! -e /bin/vi && echo vi-gone; test -e /bin/ls && echo ls-kept'
  assert_equal "$output" "$(printf 'hello\nchanged\nf\nvi-gone\nls-kept')"
  run_skiff image inspect -f '{{.Id}} {{len .RootFS.Layers}}' mine:1
  assert_equal "$output" "$id 2"
  # The container's own command and settings become the image's.
  run_skiff image inspect -f '{{index .Config.Cmd 2}}' mine:1
  assert_equal "$output" 'echo hello > /greeting; echo changed > /etc/motd; rm /bin/vi; mkdir -p /d/e; touch /d/e/f'
}

@test "commit of a vfs container: its copy's differences from the image, deletions as whiteouts" {
  run_skiff --storage-driver vfs run --name v1 busybox sh -c \
    'echo hello > /greeting; echo changed > /etc/motd; rm /bin/vi; rm -r /root 2>/dev/null; mkdir -p /d/e; ln -s /greeting /d/link; ln /greeting /d/hard; chmod 700 /tmp'
  run_skiff commit v1 vfs:1
  run_skiff run --rm vfs:1 sh -c 'cat /greeting /etc/motd /d/link; test ! -e /bin/vi && echo vi-gone; test -e /bin/ls && echo ls-kept; stat -c %a /tmp; stat -c %h /d/hard'
  # The hard link stays one file with two names.
  assert_equal "$output" "$(printf 'hello\nchanged\nhello\nvi-gone\nls-kept\n700\n2')"
  # Only the changes are in the layer, and no mount point of skiff's.
  run last_layer_names vfs:1
  assert_output_contains "bin/.wh.vi"
  assert_output_contains "greeting"
  assert_output_not_contains "bin/ls"
  assert_output_not_contains "hosts"
  assert_output_not_contains "proc"
  # An unchanged copy commits as an empty layer, as a never-started one does.
  run_skiff --storage-driver vfs run --name v2 busybox true
  run_skiff commit v2 vfs:2
  run_skiff image inspect -f '{{len .RootFS.Layers}}' vfs:2
  assert_equal "$output" "2"
}

@test "commit takes the container's settings, then --change, -m and -a" {
  run_skiff create --name c2 -e A=1 -w /tmp --user 1:1 busybox true
  run_skiff commit -c 'CMD ["echo","from change"]' -c 'ENV B=2' -c 'LABEL k=v' -m "my message" -a "Jane Doe" c2 mine:2
  run_skiff image inspect -f '{{json .Config.Cmd}} {{.Config.WorkingDir}} {{.Config.User}} {{.Config.Labels.k}} {{.Author}}' mine:2
  assert_equal "$output" '["echo","from change"] /tmp 1:1 v Jane Doe'
  run_skiff image inspect -f '{{range .Config.Env}}{{.}} {{end}}' mine:2
  assert_output_contains "A=1"
  assert_output_contains "B=2"
  run_skiff run --rm --user 0 mine:2
  assert_equal "$output" "from change"
  run_skiff history --format '{{.Comment}}|{{.CreatedBy}}' mine:2
  assert_equal "${lines[0]}" "my message|true"
}

@test "a container never started commits as its image plus an empty layer" {
  run_skiff create --name c3 busybox true
  run_skiff commit c3 empty:1
  run_skiff run --rm empty:1 sh -c 'ls /bin/ls'
  assert_equal "$output" "/bin/ls"
  run_skiff image inspect -f '{{len .RootFS.Layers}}' empty:1
  assert_equal "$output" "2"
}

@test "commit of a running container takes its files as they are, and the container keeps running" {
  run_skiff run -d --name c4 busybox sh -c 'echo live > /state; exec sleep 100'
  for _ in $(seq 50); do "$SKIFF" exec c4 test -e /state && break; sleep 0.1; done
  run_skiff commit c4 live:1
  run_skiff inspect -f '{{.State.Status}}' c4
  assert_equal "$output" "running"
  run_skiff run --rm live:1 cat /state
  assert_equal "$output" "live"
}

@test "skiff's mount points and the files it writes stay out of a committed layer" {
  run_skiff run --name c5 --add-host h:10.1.2.3 --dns 10.9.9.9 busybox sh -c 'echo x > /x'
  run_skiff commit c5 clean:1
  run last_layer_names clean:1
  assert_output_contains "x"
  assert_output_not_contains "hosts"
  assert_output_not_contains "resolv.conf"
  assert_output_not_contains "hostname"
  # The image run again sees its own name files, not the old container's.
  run_skiff run --rm clean:1 cat /etc/hosts
  assert_output_not_contains "10.1.2.3"
}

@test "a committed image saves and loads elsewhere as the same image" {
  run_skiff run --name c6 busybox sh -c 'mkdir /data && echo 1 > /data/one && ln -s one /data/link'
  run_skiff commit c6 moved:1
  id=$output
  run_skiff save -o "$SKIFF_TEST_DIR/moved.tar" moved:1
  # The other store has warned already, as setup's has (see helpers.bash).
  mkdir -m 700 "$SKIFF_TEST_DIR/other" && touch "$SKIFF_TEST_DIR/other/.warned-single-id"
  SKIFF_ROOT=$SKIFF_TEST_DIR/other run_skiff load -i "$SKIFF_TEST_DIR/moved.tar"
  SKIFF_ROOT=$SKIFF_TEST_DIR/other run_skiff image inspect -f '{{.Id}}' moved:1
  assert_equal "$output" "$id"
  SKIFF_ROOT=$SKIFF_TEST_DIR/other run_skiff run --rm moved:1 cat /data/link
  assert_equal "$output" "1"
  SKIFF_ROOT=$SKIFF_TEST_DIR/other "$SKIFF" system reset --force >/dev/null
}

@test "history lists an image's steps newest first, in docker's columns and formats" {
  run_skiff run --name c7 busybox sh -c 'echo a > /a'
  run_skiff commit -m second c7 hist:1
  id=$output
  run_skiff history hist:1
  [[ "${lines[0]}" =~ ^IMAGE\ +CREATED\ +CREATED\ BY\ +SIZE\ +COMMENT$ ]]
  [ "${#lines[@]}" -eq 3 ]
  [[ "${lines[1]}" == "${id:7:12}"* ]]
  assert_output_contains "second"
  [[ "${lines[2]}" == "<missing>"* ]]
  assert_output_contains "Imported from"
  run_skiff history -q hist:1
  assert_equal "$output" "$(printf '%s\n<missing>' "${id:7:12}")"
  run_skiff history --no-trunc --format '{{.ID}}' hist:1
  assert_equal "${lines[0]}" "$id"
  # --human=false: sizes in bytes and times in RFC 3339.
  run_skiff history --human=false --format '{{.Size}} {{.CreatedAt}}' hist:1
  [[ "${lines[0]}" =~ ^[0-9]+\ [0-9]{4}-[0-9]{2}-[0-9]{2}T ]]
  run_skiff history --format json hist:1
  assert_output_contains '"Comment":"second"'
  run_skiff image history -q hist:1
  assert_equal "${#lines[@]}" 2
}

@test "history truncates a long step to 45 characters unless --no-trunc" {
  run_skiff run --name c8 busybox sh -c 'echo this-is-a-rather-long-command-line-that-goes-on > /f'
  run_skiff commit c8 long:1
  run_skiff history --format '{{.CreatedBy}}' long:1
  [ "${#lines[0]}" -eq 45 ]
  [[ "${lines[0]}" == *"…" ]]
  run_skiff history --no-trunc --format '{{.CreatedBy}}' long:1
  assert_equal "${lines[0]}" "sh -c echo this-is-a-rather-long-command-line-that-goes-on > /f"
}

@test "commit errors are clear, exit 125 and add nothing to the store" {
  run_skiff create --name c9 busybox true
  before=$(store_objects)
  run_skiff 125 commit nosuch x:1
  assert_skiff_error "No such container: nosuch"
  run_skiff 125 commit c9 'Bad Name!'
  assert_skiff_error "invalid reference"
  run_skiff 125 commit c9 x@sha256:0000000000000000000000000000000000000000000000000000000000000000
  assert_skiff_error "digest"
  run_skiff 125 commit -c 'RUN echo no' c9 x:1
  assert_skiff_error "RUN can't be applied"
  run_skiff 125 commit
  run_skiff 125 history nosuch
  assert_skiff_error "nosuch"
  assert_equal "$(store_objects)" "$before"
}
