#!/usr/bin/env bats
# skiff export: a container's file system as a tar, as its processes see /,
# from each storage driver, to stdout or a file, never to a terminal.
load helpers

per_test_setup() { import_busybox; }

# The names in a tar, one a line, "./" prefixes and the root itself dropped.
tar_names() { tar -tf "$1" | sed -e 's|^\./||' -e '/^$/d'; }

# True when the tar $1 lists exactly the name $2; tar_lacks: when it doesn't.
tar_has() { tar_names "$1" | grep -qxF -- "$2"; }
tar_lacks() { ! tar_has "$@"; }

# Runs skiff with its stdout on a pseudo-terminal; prints the exit code, then stderr.
skiff_on_a_terminal() {
  python3 - "$SKIFF" "$@" <<'PY'
import os, pty, subprocess, sys
master, slave = pty.openpty()
p = subprocess.run(sys.argv[1:], stdout=slave, stderr=subprocess.PIPE, timeout=60)
print(p.returncode)
sys.stdout.write(p.stderr.decode())
PY
}

@test "export lists the image's files and the container's, without what it deleted" {
  run_skiff run --name ex busybox sh -c 'echo hi > /data; rm /etc/group; mkdir -p /made/deep; echo deep > /made/deep/f'
  "$SKIFF" export ex >"$SKIFF_TEST_DIR/x.tar"
  tar_has "$SKIFF_TEST_DIR/x.tar" bin/busybox
  tar_has "$SKIFF_TEST_DIR/x.tar" etc/passwd
  tar_has "$SKIFF_TEST_DIR/x.tar" made/deep/f
  assert_equal "$(tar -xOf "$SKIFF_TEST_DIR/x.tar" data)" hi
  tar_lacks "$SKIFF_TEST_DIR/x.tar" etc/group
  assert_equal "$(tar_names "$SKIFF_TEST_DIR/x.tar" | grep -c '\.wh\.' || true)" 0
  # The busybox binary comes out byte for byte.
  cmp <(tar -xOf "$SKIFF_TEST_DIR/x.tar" bin/busybox) <(tar -xOf "$(busybox_tar)" ./bin/busybox)
}

@test "a created container exports exactly its image's files, owned by root" {
  run_skiff create --name fresh busybox true
  "$SKIFF" export fresh >"$SKIFF_TEST_DIR/fresh.tar"
  assert_equal "$(tar_names "$SKIFF_TEST_DIR/fresh.tar" | sort)" "$(tar_names "$(busybox_tar)" | sort)"
  assert_equal "$(tar --numeric-owner -tvf "$SKIFF_TEST_DIR/fresh.tar" | awk '{print $2}' | sort -u)" "0/0"
  # Folders first, in sorted order, each before what it holds.
  assert_equal "$(tar_names "$SKIFF_TEST_DIR/fresh.tar" | head -3)" $'bin/\nbin/[\nbin/[['
}

@test "-o writes a file, the same bytes each time; container export is the same command" {
  run_skiff run --name cc busybox sh -c 'echo kept > /kept'
  run_skiff export -o "$SKIFF_TEST_DIR/c.tar" cc
  assert_equal "$output" ""
  assert_equal "$(tar -xOf "$SKIFF_TEST_DIR/c.tar" kept)" kept
  run_skiff container export --output "$SKIFF_TEST_DIR/d.tar" cc
  cmp "$SKIFF_TEST_DIR/c.tar" "$SKIFF_TEST_DIR/d.tar"
  run_skiff export -o "$SKIFF_TEST_DIR/c.tar" cc  # replaces it
  cmp "$SKIFF_TEST_DIR/c.tar" "$SKIFF_TEST_DIR/d.tar"
  assert_equal "$(ls -A "$SKIFF_TEST_DIR" | grep -c '^\.tmp-' || true)" 0
}

@test "an export imports back as an image with the container's changes" {
  run_skiff run --name src busybox sh -c 'echo hi > /data; rm /bin/ls'
  "$SKIFF" export src | "$SKIFF" import - flat >/dev/null
  run_skiff run --rm flat sh -c 'cat /data; ls /bin/ls 2>&1 || true'
  assert_output_contains hi
  assert_output_contains "No such file"
}

@test "export of an unknown container fails 125 and writes no file" {
  run_skiff 125 export -o "$SKIFF_TEST_DIR/none.tar" nosuch
  assert_skiff_error "No such container: nosuch"
  [ ! -e "$SKIFF_TEST_DIR/none.tar" ]
  assert_equal "$(ls -A "$SKIFF_TEST_DIR" | grep -c '^\.tmp-' || true)" 0
  run_skiff 125 export nosuch
  assert_equal "$output" "skiff: No such container: nosuch"
}

@test "export refuses to write the archive to a terminal" {
  run_skiff create --name cc busybox true
  run skiff_on_a_terminal export cc
  assert_equal "$output" $'125\nskiff: refusing to write the archive to a terminal: use -o or redirect stdout'
  run skiff_on_a_terminal export -o "$SKIFF_TEST_DIR/c.tar" cc
  assert_equal "$output" 0
  tar_has "$SKIFF_TEST_DIR/c.tar" bin/busybox
}

@test "export needs a container" {
  run_skiff 125 export
  assert_skiff_error "requires an argument"
}

@test "a running container is exported as it is, and keeps running" {
  run_skiff create --name live busybox sh -c 'echo live > /live; sleep 60'
  run_skiff start live
  for _ in $(seq 50); do
    "$SKIFF" export live >"$SKIFF_TEST_DIR/live.tar"
    tar_has "$SKIFF_TEST_DIR/live.tar" live && break
    sleep 0.1
  done
  assert_equal "$(tar -xOf "$SKIFF_TEST_DIR/live.tar" live)" live
  run_skiff inspect -f '{{.State.Status}}' live
  assert_equal "$output" running
  run_skiff rm -f live
}

@test "export reads a fuse-overlayfs container's root, leaving no daemon behind" {
  command -v fuse-overlayfs >/dev/null || skip "fuse-overlayfs is not installed"
  [ -w /dev/fuse ] || skip "/dev/fuse is not usable"
  run_skiff --storage-driver fuse-overlayfs run --name fused busybox sh -c 'echo fused > /data; rm /etc/group'
  "$SKIFF" export fused >"$SKIFF_TEST_DIR/fused.tar"
  assert_equal "$(tar -xOf "$SKIFF_TEST_DIR/fused.tar" data)" fused
  tar_lacks "$SKIFF_TEST_DIR/fused.tar" etc/group
  tar_has "$SKIFF_TEST_DIR/fused.tar" bin/busybox
  [ -z "$(pgrep -u "$(id -u)" -f "$SKIFF_TEST_DIR" || true)" ] || { echo "left: $(pgrep -a -u "$(id -u)" -f "$SKIFF_TEST_DIR")"; return 1; }
}

@test "export reads a vfs container's copy, or its image when it never ran" {
  run_skiff --storage-driver vfs create --name never busybox true
  "$SKIFF" export never >"$SKIFF_TEST_DIR/never.tar"
  assert_equal "$(tar_names "$SKIFF_TEST_DIR/never.tar" | sort)" "$(tar_names "$(busybox_tar)" | sort)"
  dir=$("$SKIFF" inspect -f '{{.GraphDriver.Data.Dir}}' never)
  [ ! -e "$dir" ]  # the copy made for the export went with it
  assert_equal "$(ls -A "$(dirname "$dir")" | grep -c '^\.export-' || true)" 0
  run_skiff --storage-driver vfs run --name copied busybox sh -c 'echo copied > /data; rm /etc/group'
  "$SKIFF" export copied >"$SKIFF_TEST_DIR/copied.tar"
  assert_equal "$(tar -xOf "$SKIFF_TEST_DIR/copied.tar" data)" copied
  tar_lacks "$SKIFF_TEST_DIR/copied.tar" etc/group
}

@test "files owned by other users keep their owners in the export" {
  has_subids || skip "needs a subuid range"
  run_skiff run --name owned busybox sh -c 'echo x > /owned; chown 123:45 /owned; chmod 600 /owned'
  "$SKIFF" export owned >"$SKIFF_TEST_DIR/owned.tar"
  run tar --numeric-owner -tvf "$SKIFF_TEST_DIR/owned.tar" owned
  [[ $output == "-rw------- 123/45 "* ]] || { echo "owned: $output"; return 1; }
  assert_equal "$(tar -xOf "$SKIFF_TEST_DIR/owned.tar" owned)" x
}

@test "a hostile image's whiteouts and opaque folders export as plain files" {
  python3 "$BATS_TEST_DIRNAME/hostile_tar.py" whiteouts "$SKIFF_TEST_DIR/w.tar"
  run_skiff import "$SKIFF_TEST_DIR/w.tar" hostile
  run_skiff create --name hh hostile true
  "$SKIFF" export hh >"$SKIFF_TEST_DIR/h.tar"
  assert_equal "$(tar_names "$SKIFF_TEST_DIR/h.tar" | sort)" $'etc/\nopaque/\nopaque/kept'
}
