#!/usr/bin/env bats
# skiff cp: files between containers (running or not) and the host, docker's
# path rules, tar streams, ownership, volumes, and paths that try to leave
# the container's root.
load helpers

per_test_setup() {
  import_busybox
  HOST=$SKIFF_TEST_DIR/host
  mkdir -p "$HOST"
}

per_test_teardown() { remove_all_containers; }

# in_container NAME COMMAND...: the command's output (the container runs).
in_container() { "$SKIFF" exec "$@"; }

@test "copying a file out: into a folder, to a new name, over a file" {
  start_sleeper web
  run_skiff cp web:/etc/passwd "$HOST"
  assert_equal "$(cat "$HOST/passwd")" "$(in_container web cat /etc/passwd)"
  run_skiff cp web:etc/hostname "$HOST/renamed"
  [ -f "$HOST/renamed" ]
  echo old > "$HOST/over"
  run_skiff cp web:/etc/group "$HOST/over"
  assert_equal "$(cat "$HOST/over")" "$(in_container web cat /etc/group)"
  # A missing folder named with a trailing slash, or a missing parent.
  run_skiff 125 cp web:/etc/group "$HOST/nodir/"
  assert_skiff_error "does not exist"
  run_skiff 125 cp web:/etc/group "$HOST/nodir/file"
  assert_skiff_error "does not exist"
  [ ! -e "$HOST/nodir" ]
}

@test "copying a folder out: created, into a folder, or its contents with /." {
  start_sleeper web
  in_container web sh -c 'mkdir -p /data/sub && echo a > /data/a && echo b > /data/sub/b && ln -s a /data/link'
  run_skiff cp web:/data "$HOST/new"
  assert_equal "$(cat "$HOST/new/a") $(cat "$HOST/new/sub/b") $(readlink "$HOST/new/link")" "a b a"
  mkdir "$HOST/into"
  run_skiff cp web:/data "$HOST/into"
  assert_equal "$(cat "$HOST/into/data/sub/b")" b
  mkdir "$HOST/contents"
  run_skiff cp web:/data/. "$HOST/contents"
  assert_equal "$(ls "$HOST/contents" | tr '\n' ' ')" "a link sub "
  touch "$HOST/file"
  run_skiff 125 cp web:/data "$HOST/file"
  assert_skiff_error "cannot copy a directory to a file"
  run_skiff 125 cp web:/etc/passwd/ "$HOST"
  assert_skiff_error "is not a directory"
}

@test "copying in: a file into a folder, to a new name; a folder, its contents" {
  start_sleeper web
  echo hello > "$HOST/greeting"
  mkdir -p "$HOST/tree/sub" && echo deep > "$HOST/tree/sub/deep"
  run_skiff cp "$HOST/greeting" web:/tmp
  run_skiff cp "$HOST/greeting" web:/tmp/renamed
  run_skiff cp "$HOST/tree" web:/tmp/
  # A missing DEST is made a folder with the contents, slash or not.
  run_skiff cp "$HOST/tree" web:/opt/
  run_skiff cp "$HOST/tree" web:/newtree
  run_skiff exec web mkdir /filled
  run_skiff cp "$HOST/tree/." web:/filled
  run_skiff exec web cat /tmp/greeting /tmp/renamed /tmp/tree/sub/deep /opt/sub/deep /newtree/sub/deep /filled/sub/deep
  assert_equal "$output" "$(printf 'hello\nhello\ndeep\ndeep\ndeep\ndeep')"
  run_skiff 125 cp "$HOST/tree" web:/etc/passwd
  assert_skiff_error "cannot copy a directory to a file"
  run_skiff 125 cp "$HOST/greeting" web:/no/such/
  assert_skiff_error "does not exist"
  # A folder is never replaced by a file in a copied tree.
  run_skiff exec web mkdir -p /clash/greeting
  run_skiff 125 cp "$HOST/greeting" web:/clash/greeting/..
  run_skiff exec web test -d /clash/greeting
}

@test "- streams a tar out, and extracts one read from stdin" {
  start_sleeper web
  run bash -c "timeout 20 '$SKIFF' cp web:/etc - | tar -tf - | sort | head -3"
  assert_equal "$output" "$(printf 'etc/\netc/group\netc/hostname')"
  mkdir -p "$HOST/src/conf" && echo v > "$HOST/src/conf/setting"
  run_skiff exec web mkdir /app
  run bash -c "tar -cf - -C '$HOST/src' . | timeout 20 '$SKIFF' cp - web:/app"
  [ "$status" -eq 0 ]
  run_skiff exec web cat /app/conf/setting
  assert_equal "$output" v
  run bash -c "tar -cf - -C '$HOST/src' . | timeout 20 '$SKIFF' cp - web:/etc/passwd"
  [ "$status" -eq 125 ]
  assert_skiff_error "must be a directory"
  run bash -c "echo not a tar | timeout 20 '$SKIFF' cp - web:/app"
  [ "$status" -eq 125 ]
}

@test "created and exited containers: copied in before a start, out after the end" {
  run_skiff create --name job busybox sh -c 'cat /in/msg; echo result > /out'
  mkdir "$HOST/in" && echo "from the host" > "$HOST/in/msg"
  run_skiff cp "$HOST/in" job:/
  run_skiff start -a job
  assert_equal "$output" "from the host"
  run_skiff cp job:/out "$HOST/out"
  assert_equal "$(cat "$HOST/out")" result
  run_skiff cp job:/in/msg "$HOST/msg-again"
  assert_equal "$(cat "$HOST/msg-again")" "from the host"
  run_skiff inspect -f '{{.State.Status}}' job
  assert_equal "$output" exited
}

@test "a stopped container on the vfs driver takes copies too" {
  run_skiff --storage-driver vfs create --name copy busybox cat /added
  echo vfs > "$HOST/added"
  run_skiff cp "$HOST/added" copy:/added
  run_skiff start -a copy
  assert_equal "$output" vfs
  run_skiff cp copy:/added "$HOST/back"
  assert_equal "$(cat "$HOST/back")" vfs
}

@test "ownership: the container's root copying in (or the source's with -a), the caller copying out" {
  start_sleeper web
  echo x > "$HOST/mine"
  run_skiff cp "$HOST/mine" web:/root-owned
  run_skiff exec web stat -c %u:%g /root-owned
  assert_equal "$output" 0:0
  run_skiff cp "$HOST/mine" web:/tmp/
  run_skiff exec web sh -c 'echo made inside > /made'
  run_skiff cp web:/made "$HOST/made"
  assert_equal "$(stat -c %u:%g "$HOST/made")" "$(id -u):$(id -g)"
  if has_subids; then
    run_skiff cp -a "$HOST/mine" web:/kept
    run_skiff exec web stat -c %u:%g /kept
    assert_equal "$output" "$(id -u):$(id -g)"
    run_skiff exec web sh -c 'echo theirs > /theirs && chown 123:456 /theirs'
    run_skiff cp web:/theirs "$HOST/theirs"
    assert_equal "$(stat -c %u:%g "$HOST/theirs")" "$(id -u):$(id -g)"
  else
    # Only ID 0 exists in the container: the file stays root's, with a warning.
    run_skiff cp -a "$HOST/mine" web:/kept
    assert_output_contains "warning"
    run_skiff exec web stat -c %u:%g /kept
    assert_equal "$output" 0:0
  fi
}

@test "a running container's volumes and tmpfs mounts take copies; a stopped one's bind volumes too" {
  mkdir "$HOST/vol"
  start_sleeper web -v "$HOST/vol:/data" --tmpfs /scratch
  echo into-volume > "$HOST/payload"
  run_skiff cp "$HOST/payload" web:/data/
  assert_equal "$(cat "$HOST/vol/payload")" into-volume
  run_skiff cp "$HOST/payload" web:/scratch/
  run_skiff exec web cat /scratch/payload
  assert_equal "$output" into-volume
  run_skiff create --name stopped -v "$HOST/vol:/data" busybox true
  echo second > "$HOST/payload2"
  run_skiff cp "$HOST/payload2" stopped:/data/
  assert_equal "$(cat "$HOST/vol/payload2")" second
  run_skiff cp stopped:/data/payload "$HOST/from-volume"
  assert_equal "$(cat "$HOST/from-volume")" into-volume
  # A read-only volume or root refuses.
  run_skiff create --name ro --read-only -v "$HOST/vol:/ro:ro" busybox true
  echo refused > "$HOST/refused"
  run_skiff 125 cp "$HOST/refused" ro:/ro/
  assert_skiff_error "Read-only file system"
  run_skiff 125 cp "$HOST/refused" ro:/
  assert_skiff_error "Read-only file system"
  [ ! -e "$HOST/vol/refused" ]
}

@test "-L copies what a symlink points to; without it, the link" {
  start_sleeper web
  run_skiff exec web ln -s /etc/hostname /link
  run_skiff cp web:/link "$HOST/as-link"
  [ -L "$HOST/as-link" ]
  assert_equal "$(readlink "$HOST/as-link")" /etc/hostname
  run_skiff cp -L web:/link "$HOST/followed"
  [ -f "$HOST/followed" ] && [ ! -L "$HOST/followed" ]
  assert_equal "$(cat "$HOST/followed")" "$(in_container web cat /etc/hostname)"
}

@test "hostile: symlinks and .. in the container never lead to the host's files" {
  mkdir "$HOST/target"
  echo host-secret > "$HOST/target/secret"
  for ctr in live stopped; do
    run_skiff create --name $ctr busybox sleep 1000
    # Links planted in the container: to /, to a host folder, with .. .
    python3 - "$SKIFF_TEST_DIR/links.tar" "$HOST/target" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    for name, target in [("to_root", "/"), ("to_host", sys.argv[2]), ("up", "../../../../../..")]:
        i = tarfile.TarInfo(name); i.type = tarfile.SYMTYPE; i.linkname = target; t.addfile(i)
PY
    run_skiff cp - $ctr:/ < "$SKIFF_TEST_DIR/links.tar"
  done
  run_skiff start live
  echo planted > "$HOST/planted"
  for ctr in live stopped; do
    # Out: every path ends inside the container.
    run_skiff cp $ctr:/to_root/etc/passwd "$HOST/passwd-$ctr"
    assert_equal "$(cat "$HOST/passwd-$ctr")" "$(tar -xOf "$(busybox_tar)" ./etc/passwd)"
    run_skiff cp $ctr:/up/up/etc/group "$HOST/group-$ctr"
    assert_equal "$(cat "$HOST/group-$ctr")" "$(tar -xOf "$(busybox_tar)" ./etc/group)"
    run_skiff cp $ctr:/../../../../etc/passwd "$HOST/dotdot-$ctr"
    assert_equal "$(cat "$HOST/dotdot-$ctr")" "$(tar -xOf "$(busybox_tar)" ./etc/passwd)"
    run_skiff 125 cp $ctr:/to_host/secret "$HOST/stolen-$ctr"
    assert_skiff_error "could not find"
    [ ! -e "$HOST/stolen-$ctr" ]
    # In: writes through the links land in the container, never on the host.
    run_skiff 125 cp "$HOST/planted" $ctr:/to_host/
    run_skiff 125 cp "$HOST/planted" $ctr:/to_host/secret
    run_skiff cp "$HOST/planted" $ctr:/up/../to_root/tmp/planted-$ctr
    assert_equal "$(ls "$HOST/target")" secret
    assert_equal "$(cat "$HOST/target/secret")" host-secret
    run_skiff cp $ctr:/tmp/planted-$ctr "$HOST/back-$ctr"
    assert_equal "$(cat "$HOST/back-$ctr")" planted
  done
  [ ! -e /tmp/planted-live ] && [ ! -e /tmp/planted-stopped ]
}

@test "hostile: a tar on stdin can't write outside the destination" {
  start_sleeper web
  run_skiff exec web mkdir /dest
  python3 - "$SKIFF_TEST_DIR/evil.tar" "$HOST" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    i = tarfile.TarInfo("out"); i.type = tarfile.SYMTYPE; i.linkname = sys.argv[2]; t.addfile(i)
    data = b"pwned\n"
    for name in ["out/pwned", "../../../escaped"]:
        i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
PY
  run_skiff 125 cp - web:/dest < "$SKIFF_TEST_DIR/evil.tar"
  assert_skiff_error "leads outside the root"
  [ ! -e "$HOST/pwned" ]
  # The link was followed inside /dest only.
  run_skiff exec web cat "/dest$HOST/pwned"
  assert_equal "$output" pwned
  run_skiff 1 exec web ls /escaped
}

@test "bad arguments are clear errors and change nothing" {
  start_sleeper web
  touch "$HOST/f"
  run_skiff 125 cp "$HOST/f" "$HOST/g"
  assert_skiff_error "must specify at least one container source"
  run_skiff 125 cp web:/etc/passwd web:/tmp/x
  assert_skiff_error "copying between containers is not supported"
  run_skiff 125 cp "$HOST/f" nosuch:/tmp
  assert_skiff_error "No such container: nosuch"
  run_skiff 125 cp web:/no/such/file "$HOST"
  assert_skiff_error "could not find \`/no/such/file\` in container \`web\`"
  run_skiff 125 cp "$HOST/nope" web:/tmp
  assert_skiff_error "No such file or directory"
  run_skiff 125 cp web: "$HOST"
  assert_skiff_error "names no path"
  run_skiff 125 cp web:/etc
  assert_skiff_error "requires an argument"
  run_skiff 125 cp --bogus web:/etc "$HOST"
  assert_skiff_error "unknown flag: --bogus"
  [ "$(ls "$HOST")" = f ]
}
