#!/usr/bin/env bats
# skiff save and skiff load: round trips through both layouts, files and
# pipes, several images in one archive, skopeo reading what skiff writes and
# skiff reading what skopeo writes, and hostile archives that must fail with
# a clear message and leave the store as it was.
load helpers

image_id() { "$SKIFF" image inspect -f '{{.Id}}' "$1"; }

# The store as far as load could change it: records, layers, blobs, names.
store_state() {
  (cd "$SKIFF_ROOT" && find images layers blobs -maxdepth 2 | sort)
  "$SKIFF" images --no-trunc --format '{{.ID}} {{.Repository}}:{{.Tag}}'
}

# json_of ARCHIVE MEMBER EXPRESSION: a Python expression over a JSON member `j`.
json_of() {
  tar -xOf "$1" "$2" | python3 -c 'import json, sys; j = json.load(sys.stdin); print(eval(sys.argv[1]))' "$3"
}

# oci_layout DIR [MAKE_OCI_ARGS...]: an OCI layout of busybox from make_oci.py.
oci_layout() {
  local dir=$1
  shift
  python3 "$BATS_TEST_DIRNAME/make_oci.py" "$(busybox_tar)" "$dir" "$@"
}

skopeo_copy() { skopeo --insecure-policy copy --quiet "$@"; }

@test "save, rmi, load: the same image ID, and it runs" {
  import_busybox
  id=$(image_id busybox)
  run_skiff save -o "$SKIFF_TEST_DIR/b.tar" busybox
  assert_equal "$output" ""
  run_skiff rmi busybox
  run_skiff load -i "$SKIFF_TEST_DIR/b.tar"
  assert_equal "$output" "Loaded image: busybox:latest"
  assert_equal "$(image_id busybox)" "$id"
  run_skiff run --rm busybox echo loaded
  assert_equal "$output" loaded
}

@test "a docker-archive: manifest.json, repositories, and the layer is the tar its diff ID names" {
  import_busybox
  id=$(image_id busybox)
  diff=$("$SKIFF" image inspect -f '{{index .RootFS.Layers 0}}' busybox)
  run_skiff save -o "$SKIFF_TEST_DIR/b.tar" busybox
  f=$SKIFF_TEST_DIR/b.tar
  assert_equal "$(json_of "$f" manifest.json 'j[0]["RepoTags"]')" "['busybox:latest']"
  assert_equal "$(json_of "$f" manifest.json 'j[0]["Config"]')" "blobs/sha256/${id#sha256:}"
  assert_equal "$(json_of "$f" manifest.json 'j[0]["Layers"]')" "['blobs/sha256/${diff#sha256:}']"
  assert_equal "$(json_of "$f" repositories 'j["busybox"]["latest"]')" "${diff#sha256:}"
  assert_equal "sha256:$(tar -xOf "$f" "blobs/sha256/${diff#sha256:}" | sha256sum | cut -d' ' -f1)" "$diff"
  assert_equal "sha256:$(tar -xOf "$f" "blobs/sha256/${id#sha256:}" | sha256sum | cut -d' ' -f1)" "$id"
  # The metadata first, so a load from a pipe streams the layers.
  assert_equal "$(tar -tf "$f" | head -2 | tr '\n' ' ')" "manifest.json repositories "
}

@test "standard output and standard input, and image save/load twins" {
  import_busybox
  id=$(image_id busybox)
  run bash -c "'$SKIFF' save busybox > '$SKIFF_TEST_DIR/b.tar'"
  [ "$status" -eq 0 ]
  run_skiff rmi busybox
  run bash -c "cat '$SKIFF_TEST_DIR/b.tar' | '$SKIFF' load"
  [ "$status" -eq 0 ]
  assert_equal "$output" "Loaded image: busybox:latest"
  assert_equal "$(image_id busybox)" "$id"
  run bash -c "'$SKIFF' image save -o - busybox:latest > '$SKIFF_TEST_DIR/again.tar'"
  [ "$status" -eq 0 ]
  cmp "$SKIFF_TEST_DIR/b.tar" "$SKIFF_TEST_DIR/again.tar"
  run_skiff rmi busybox
  run bash -c "'$SKIFF' image load -q -i - < '$SKIFF_TEST_DIR/again.tar'"
  assert_equal "$output" "Loaded image: busybox:latest"
  # A reader that goes away is an error, not a success.
  run bash -c "'$SKIFF' save busybox 2>'$SKIFF_TEST_DIR/err' | head -c 10 >/dev/null; echo \${PIPESTATUS[0]}"
  assert_equal "$output" 125
  [[ $(cat "$SKIFF_TEST_DIR/err") == "skiff: "*"write standard output: Broken pipe" ]]
  run_skiff 125 load -i "$SKIFF_TEST_DIR/nothing.tar"
  assert_skiff_error "load \`$SKIFF_TEST_DIR/nothing.tar\`: open: No such file or directory"
  run bash -c "'$SKIFF' load < /dev/null"
  [ "$status" -eq 125 ]
  assert_skiff_error "load \`standard input\`: the archive is empty"
  run bash -c "echo hello | '$SKIFF' load"
  [ "$status" -eq 125 ]
  assert_skiff_error "load \`standard input\`: not a tar archive"
}

@test "a gzip, zstd, xz or bzip2 archive, from a file or a pipe; a corrupt one is refused" {
  import_busybox
  id=$(image_id busybox)
  run_skiff save -o "$SKIFF_TEST_DIR/b.tar" busybox
  gzip -1 -k "$SKIFF_TEST_DIR/b.tar"
  zstd -q "$SKIFF_TEST_DIR/b.tar"
  run_skiff rmi busybox
  run_skiff load -i "$SKIFF_TEST_DIR/b.tar.gz"
  assert_equal "$output" "Loaded image: busybox:latest"
  assert_equal "$(image_id busybox)" "$id"
  run_skiff rmi busybox
  run bash -c "'$SKIFF' load < '$SKIFF_TEST_DIR/b.tar.zst'"
  assert_equal "$output" "Loaded image: busybox:latest"
  "$SKIFF" tag busybox keep:1
  run_skiff rmi busybox
  before=$(store_state)
  python3 -c 'import sys; p = sys.argv[1]; d = bytearray(open(p, "rb").read()); d[len(d) // 2] ^= 0xff; open(p, "wb").write(d)' \
    "$SKIFF_TEST_DIR/b.tar.gz"
  run bash -c "cat '$SKIFF_TEST_DIR/b.tar.gz' | '$SKIFF' load"
  [ "$status" -eq 125 ]
  assert_skiff_error "load \`standard input\`: gzip: corrupt data"
  assert_equal "$(store_state)" "$before"
  # xz and bzip2, as docker load reads them.
  xz -k -0 -T1 "$SKIFF_TEST_DIR/b.tar"
  bzip2 -k "$SKIFF_TEST_DIR/b.tar"
  run_skiff load -i "$SKIFF_TEST_DIR/b.tar.xz"
  assert_equal "$output" "Loaded image: busybox:latest"
  assert_equal "$(image_id busybox)" "$id"
  run_skiff rmi busybox
  run bash -c "'$SKIFF' load < '$SKIFF_TEST_DIR/b.tar.bz2'"
  assert_equal "$output" "Loaded image: busybox:latest"
  assert_equal "$(image_id busybox)" "$id"
}

@test "a pipe straight into load" {
  import_busybox copy:1
  id=$(image_id copy:1)
  run bash -c "'$SKIFF' save copy:1 | SKIFF_ROOT='$SKIFF_TEST_DIR/other' '$SKIFF' load"
  [ "$status" -eq 0 ]
  assert_equal "$output" "Loaded image: copy:1"
  assert_equal "$(SKIFF_ROOT=$SKIFF_TEST_DIR/other "$SKIFF" image inspect -f '{{.Id}}' copy:1)" "$id"
  SKIFF_ROOT=$SKIFF_TEST_DIR/other "$SKIFF" system reset --force >/dev/null
}

@test "save refuses a terminal, and load reads none" {
  import_busybox
  run script -qec "'$SKIFF' save busybox" /dev/null
  [ "$status" -eq 125 ]
  assert_output_contains "skiff: refusing to write the archive to a terminal: use -o or redirect stdout"
  run script -qec "'$SKIFF' load" /dev/null
  [ "$status" -eq 125 ]
  assert_output_contains "skiff: refusing to read the archive from a terminal: use -i or redirect stdin"
}

@test "several images and tags in one archive, each written once" {
  import_busybox a:1
  "$SKIFF" tag a:1 a:2
  import_rootfs b --file 'etc/b=b'
  id_a=$(image_id a:1)
  id_b=$(image_id b)
  run_skiff save -o "$SKIFF_TEST_DIR/ab.tar" a:1 a:2 a:1 b "$id_a"
  f=$SKIFF_TEST_DIR/ab.tar
  assert_equal "$(json_of "$f" manifest.json 'len(j)')" 2
  assert_equal "$(json_of "$f" manifest.json 'j[0]["RepoTags"]')" "['a:1', 'a:2']"
  assert_equal "$(json_of "$f" manifest.json 'j[1]["RepoTags"]')" "['b:latest']"
  # Each blob once.
  assert_equal "$(tar -tf "$f" | sort | uniq -d)" ""
  # A repository without a tag: every tag of it.
  run_skiff save -o "$SKIFF_TEST_DIR/a.tar" a
  assert_equal "$(json_of "$SKIFF_TEST_DIR/a.tar" manifest.json 'sorted(j[0]["RepoTags"])')" "['a:1', 'a:2']"
  # An ID: no name.
  run_skiff save -o "$SKIFF_TEST_DIR/id.tar" "${id_b:7:12}"
  assert_equal "$(json_of "$SKIFF_TEST_DIR/id.tar" manifest.json 'j[0]["RepoTags"]')" None

  run_skiff rmi a:1 a:2 b
  run_skiff load -i "$f"
  assert_equal "$output" $'Loaded image: a:1\nLoaded image: a:2\nLoaded image: b:latest'
  assert_equal "$(image_id a:2)" "$id_a"
  assert_equal "$(image_id b)" "$id_b"
  run_skiff run --rm b cat /etc/b
  assert_equal "$output" b
  run_skiff rmi b
  run_skiff load -i "$SKIFF_TEST_DIR/id.tar"
  assert_equal "$output" "Loaded image ID: $id_b"
}

@test "loading an image the store has adds its names and extracts nothing" {
  import_busybox
  run_skiff save -o "$SKIFF_TEST_DIR/b.tar" busybox
  "$SKIFF" tag busybox other:1
  "$SKIFF" rmi busybox >/dev/null
  before=$(ls "$SKIFF_ROOT/layers")
  run_skiff load -i "$SKIFF_TEST_DIR/b.tar"
  assert_equal "$output" "Loaded image: busybox:latest"
  assert_equal "$(ls "$SKIFF_ROOT/layers")" "$before"
  assert_equal "$("$SKIFF" images --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' ')" "busybox:latest other:1 "
}

@test "a loaded name that another image has moves, as docker says" {
  import_busybox x:1
  run_skiff save -o "$SKIFF_TEST_DIR/x.tar" x:1
  import_rootfs other --file 'etc/o=o'
  other=$(image_id other)
  "$SKIFF" tag other x:1
  run_skiff load -i "$SKIFF_TEST_DIR/x.tar"
  assert_equal "$output" "The image x:1 already exists, renaming the old one with ID $other to empty string
Loaded image: x:1"
  run_skiff run --rm x:1 sh -c 'test -e /etc/o || echo busybox'
  assert_equal "$output" busybox
}

@test "an oci-archive round trip" {
  import_busybox oci:1
  id=$(image_id oci:1)
  run_skiff save --format oci-archive -o "$SKIFF_TEST_DIR/o.tar" oci:1
  f=$SKIFF_TEST_DIR/o.tar
  assert_equal "$(json_of "$f" oci-layout 'j["imageLayoutVersion"]')" 1.0.0
  assert_equal "$(json_of "$f" index.json 'j["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"]')" \
    docker.io/library/oci:1
  manifest=$(json_of "$f" index.json 'j["manifests"][0]["digest"]')
  assert_equal "$(json_of "$f" "blobs/sha256/${manifest#sha256:}" 'j["layers"][0]["mediaType"]')" \
    application/vnd.oci.image.layer.v1.tar
  assert_equal "$(json_of "$f" "blobs/sha256/${manifest#sha256:}" 'j["config"]["digest"]')" "$id"
  run_skiff rmi oci:1
  run_skiff load -i "$f"
  assert_equal "$output" "Loaded image: oci:1"
  assert_equal "$(image_id oci:1)" "$id"
  run_skiff run --rm oci:1 echo oci
  assert_equal "$output" oci
  run_skiff 125 save --format tarball busybox
  assert_skiff_error "unknown archive format \`tarball\`: it is docker-archive or oci-archive"
}

@test "skopeo reads both archives skiff writes, and skiff reads them back through skopeo" {
  import_busybox
  id=$(image_id busybox)
  run_skiff save -o "$SKIFF_TEST_DIR/d.tar" busybox
  run_skiff save --format oci-archive -o "$SKIFF_TEST_DIR/o.tar" busybox
  skopeo_copy "docker-archive:$SKIFF_TEST_DIR/d.tar" "oci:$SKIFF_TEST_DIR/from-docker:x"
  skopeo_copy "oci-archive:$SKIFF_TEST_DIR/o.tar:docker.io/library/busybox:latest" "oci:$SKIFF_TEST_DIR/from-oci:y"
  for layout in from-docker:x from-oci:y; do
    assert_equal "$(skopeo inspect --config "oci:$SKIFF_TEST_DIR/$layout" |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["rootfs"]["diff_ids"][0])')" \
      "$("$SKIFF" image inspect -f '{{index .RootFS.Layers 0}}' busybox)"
  done
  skopeo_copy "oci:$SKIFF_TEST_DIR/from-docker:x" "docker-archive:$SKIFF_TEST_DIR/back.tar:back:1"
  run_skiff rmi busybox
  run_skiff load -i "$SKIFF_TEST_DIR/back.tar"
  assert_equal "$output" "Loaded image: back:1"
  run_skiff run --rm back:1 echo back
  assert_equal "$output" back
}

@test "skiff loads what skopeo writes: docker-archive and oci-archive, gzip and zstd layers, file and pipe" {
  # docker-archive layers are uncompressed (skopeo inflates them); an OCI
  # layout keeps what it has.
  oci_layout "$SKIFF_TEST_DIR/layout" --second-layer
  skopeo_copy "oci:$SKIFF_TEST_DIR/layout:latest" "docker-archive:$SKIFF_TEST_DIR/d.tar:made:1"
  oci_layout "$SKIFF_TEST_DIR/zstd" --second-layer --compression zstd
  skopeo_copy "oci:$SKIFF_TEST_DIR/zstd:latest" "oci-archive:$SKIFF_TEST_DIR/o.tar:made:2"
  oci_layout "$SKIFF_TEST_DIR/gz" --salt gz
  skopeo_copy "oci:$SKIFF_TEST_DIR/gz:latest" "oci-archive:$SKIFF_TEST_DIR/gz.tar:quay.io/made/gz:3"
  # skopeo writes the layers first and manifest.json last: a file is read
  # twice, a pipe spooled.
  run_skiff load -i "$SKIFF_TEST_DIR/d.tar"
  assert_equal "$output" "Loaded image: made:1"
  run bash -c "cat '$SKIFF_TEST_DIR/o.tar' | '$SKIFF' load"
  [ "$status" -eq 0 ]
  assert_equal "$output" "Loaded image: made:2"
  run bash -c "cat '$SKIFF_TEST_DIR/gz.tar' | '$SKIFF' load"
  assert_equal "$output" "Loaded image: quay.io/made/gz:3"
  run_skiff run --rm made:1 sh -c 'cat /hello.txt; ls /bin/ls 2>&1 || true'
  assert_output_contains "hello from layer 2"
  assert_output_contains "No such file"
  run_skiff run --rm made:2 cat /hello.txt
  assert_equal "$output" "hello from layer 2"
  run_skiff run --rm quay.io/made/gz:3 head -c 4 /salt
  assert_equal "$output" gzgz
  # The same config through both archives: the same image.
  assert_equal "$(image_id made:1)" "$(image_id made:2)"
}

# archive CASE: a case of hostile_archive.py, built from busybox.
archive() {
  python3 "$BATS_TEST_DIRNAME/hostile_archive.py" "$1" "$(busybox_tar)" "$SKIFF_TEST_DIR/$1.tar"
  echo "$SKIFF_TEST_DIR/$1.tar"
}

@test "docker's older layout, gzip and zstd layer.tar, and a layer linked from a second image" {
  for case in docker-legacy gzip zstd; do
    f=$(archive $case)
    run bash -c "cat '$f' | '$SKIFF' load"
    [ "$status" -eq 0 ] || { echo "$case: $output"; return 1; }
  done
  assert_equal "$(image_id legacy:1)" "$(image_id packed:gzip)"
  assert_equal "$(image_id packed:zstd)" "$(image_id packed:gzip)"
  run_skiff run --rm packed:zstd echo zstd
  assert_equal "$output" zstd
  # docker 25 writes manifest.json and index.json: one image, loaded once.
  f=$(archive docker-25)
  run bash -c "cat '$f' | '$SKIFF' load"
  assert_equal "$output" "Loaded image: d25:1"
  assert_equal "$(image_id d25:1)" "$(image_id legacy:1)"
  f=$(archive shared-layer)
  for how in file pipe; do
    if [ $how = file ]; then run_skiff load -i "$f"; else run bash -c "cat '$f' | '$SKIFF' load"; fi
    assert_equal "$output" $'Loaded image: two:1\nLoaded image: one:1'
    assert_equal "$("$SKIFF" image inspect -f '{{len .RootFS.Layers}}' one:1)" 1
    run_skiff run --rm two:1 cat /extra.txt
    assert_equal "$output" shared
    run_skiff rmi two:1 one:1
  done
}

# hostile CASE TEXT: loading the case fails with TEXT, from a file and from
# a pipe, and the store (which has busybox) is as it was.
hostile() {
  local f before
  f=$(archive "$1")
  [ -n "$(store_state)" ]
  before=$(store_state)
  run_skiff 125 load -i "$f"
  assert_skiff_error "load \`$f\`: "
  assert_output_contains "$2"
  assert_equal "$(store_state)" "$before"
  run bash -c "cat '$f' | '$SKIFF' load"
  [ "$status" -eq 125 ] || { echo "from a pipe: $status: $output"; return 1; }
  assert_skiff_error "load \`standard input\`: "
  assert_output_contains "$2"
  assert_equal "$(store_state)" "$before"
}

@test "hostile: layer paths with ../ or absolute" {
  import_busybox
  hostile dotdot-layer "manifest.json, image 1: the path \`../../../etc/passwd\` leads outside the archive"
  hostile absolute-layer "manifest.json, image 1: the path \`/etc/passwd\` leads outside the archive"
}

@test "hostile: a missing layer, and a layer that is not the config's" {
  import_busybox
  hostile missing-layer "the layer \`$(printf '0%.0s' $(seq 64))/layer.tar\` that manifest.json names is not in the archive"
  hostile wrong-diff-id "has the content digest sha256:"
  assert_output_contains "but its config says sha256:"
  hostile second-bad "but its config says"
  run_skiff 125 image inspect good:1
}

@test "hostile: a truncated archive, a config that isn't JSON, a huge manifest.json" {
  import_busybox
  hostile truncated "Truncated tar archive"
  hostile config-not-json "is not a JSON document of at most 8 MiB"
  hostile huge-manifest "\`manifest.json\` is larger than 4 MiB"
  hostile duplicate-manifest "the archive has \`manifest.json\` twice"
}

@test "hostile: a symlink where a layer should be" {
  import_busybox
  hostile symlink-layer "is a link to \`/etc/passwd\`, outside the archive"
  hostile symlink-dotdot-layer "is a link to \`../../../etc/passwd\`, outside the archive"
}

@test "hostile: a layer that is no tar, and OCI blobs that aren't their digest or aren't there" {
  import_busybox
  hostile not-a-tar-layer "layer \`"
  hostile oci-wrong-blob "has the digest sha256:"
  hostile oci-missing-blob "that index.json names is not in the archive"
}

@test "a failed save leaves no file; a missing image is named" {
  import_busybox
  run_skiff 125 save -o "$SKIFF_TEST_DIR/out.tar" busybox nosuch
  assert_skiff_error "No such image: nosuch"
  [ ! -e "$SKIFF_TEST_DIR/out.tar" ]
  run_skiff 125 save -o "$SKIFF_TEST_DIR/no/such/dir/out.tar" busybox
  assert_skiff_error "No such file or directory"
  run_skiff 125 save -o "$SKIFF_TEST_DIR" busybox
  assert_skiff_error "\`$SKIFF_TEST_DIR\` is a directory: -o names the archive file"
  # A layer whose files changed since extraction can't give its tar back.
  layer=$("$SKIFF" image inspect -f '{{.GraphDriver.Data.UpperDir}}' busybox)
  chmod u+w "$layer/bin/busybox"
  printf changed | dd of="$layer/bin/busybox" conv=notrunc status=none
  run_skiff 125 save -o "$SKIFF_TEST_DIR/out.tar" busybox
  assert_skiff_error
  [ -z "$(ls -A "$SKIFF_TEST_DIR" | grep -e out.tar -e '^\.tmp-')" ]
}

@test "a layer without a tar recipe is rebuilt from its files, with a warning and a new ID" {
  import_busybox
  id=$(image_id busybox)
  rm "$SKIFF_ROOT"/layers/*/tar-recipe
  run_skiff_split save -o "$SKIFF_TEST_DIR/b.tar" busybox
  [[ $stderr == "skiff: warning: image \`busybox\` has layers extracted before skiff kept their original tars"* ]]
  new=$(echo "$stderr" | sed -n 's/.*image.s ID there is \(sha256:[0-9a-f]*\), not.*/\1/p')
  [ -n "$new" ]
  [ "$new" != "$id" ]
  run_skiff rmi busybox
  run_skiff load -i "$SKIFF_TEST_DIR/b.tar"
  assert_equal "$(image_id busybox)" "$new"
  run_skiff run --rm busybox echo rebuilt
  assert_equal "$output" rebuilt
}
