#!/usr/bin/env bats
# Hostile layers: whatever the tar says, nothing is written outside the layer.
load helpers

per_test_setup() {
  OUTSIDE=$SKIFF_TEST_DIR/outside
  mkdir -p "$OUTSIDE"
  echo secret > "$OUTSIDE/secret"
}

hostile() {
  python3 "$BATS_TEST_DIRNAME/hostile_tar.py" "$1" "$SKIFF_TEST_DIR/$1.tar" "$OUTSIDE"
  echo "$SKIFF_TEST_DIR/$1.tar"
}

outside_untouched() {
  [ "$(ls -A "$OUTSIDE")" = secret ] || { echo "outside now has: $(ls -A "$OUTSIDE")"; return 1; }
  [ "$(cat "$OUTSIDE/secret")" = secret ]
  [ "$(stat -c %h "$OUTSIDE/secret")" = 1 ] || { echo "secret got a hard link"; return 1; }
}

store_empty() {
  [ -z "$(ls -A "$SKIFF_ROOT/layers")" ] && [ -z "$(ls -A "$SKIFF_ROOT/images")" ]
}

@test "../ entries that climb out of the layer are refused" {
  run_skiff 125 import "$(hostile dotdot)" evil
  assert_skiff_error "leads outside the root"
  outside_untouched
  store_empty
}

@test "absolute names land inside the layer" {
  run_skiff import "$(hostile absolute)" evil
  outside_untouched
  dir=$("$SKIFF" image inspect -f '{{.GraphDriver.Data.UpperDir}}' evil)
  [ -f "$dir/${OUTSIDE#/}/pwned" ]
}

@test "a symlink to an outside directory can't be written through" {
  run "$SKIFF" import "$(hostile symlink-dir)" evil
  outside_untouched
}

@test "a relative symlink climbing out can't be written through" {
  run "$SKIFF" import "$(hostile symlink-relative)" evil
  outside_untouched
}

@test "a hard link to an outside file is refused" {
  run_skiff 125 import "$(hostile hardlink-out)" evil
  assert_skiff_error "hard link"
  outside_untouched
  store_empty
}

@test "a hard link with ../ to an outside file is refused" {
  run_skiff 125 import "$(hostile hardlink-dotdot)" evil
  assert_skiff_error "leads outside the root"
  outside_untouched
}

@test "a whiteout of an outside path is refused" {
  run_skiff 125 import "$(hostile whiteout-out)" evil
  outside_untouched
  store_empty
}

@test "device nodes are skipped with a warning when unprivileged" {
  [ "$(id -u)" -ne 0 ] || skip "root may create device nodes"
  run_skiff import "$(hostile device)" dev
  assert_output_contains "warning: skipped 1 device node"
  dir=$("$SKIFF" image inspect -f '{{.GraphDriver.Data.UpperDir}}' dev)
  [ -f "$dir/ok" ] && [ ! -e "$dir/dev/mem" ]
}

@test "OCI whiteouts become overlay whiteouts and opaque markers" {
  run_skiff import "$(hostile whiteouts)" wh
  dir=$("$SKIFF" image inspect -f '{{.GraphDriver.Data.UpperDir}}' wh)
  [ -c "$dir/etc/hosts" ]
  [ "$(stat -c %t:%T "$dir/etc/hosts")" = 0:0 ]
  [ ! -e "$dir/etc/.wh.hosts" ]
  [ -f "$dir/opaque/kept" ] && [ ! -e "$dir/opaque/.wh..wh..opq" ]
  if command -v getfattr >/dev/null; then
    [ "$(getfattr --only-values -n user.overlay.opaque "$dir/opaque")" = y ]
  fi
}

@test "an image can't set overlay's own xattrs" {
  run_skiff import "$(hostile overlay-xattr)" xa
  dir=$("$SKIFF" image inspect -f '{{.GraphDriver.Data.UpperDir}}' xa)
  [ -d "$dir/dir" ]
  if command -v getfattr >/dev/null; then
    run getfattr -d -m - "$dir/dir"
    assert_output_not_contains "overlay"
  fi
}

@test "later entries replace earlier ones, a file replacing a directory too" {
  run_skiff import "$(hostile replace)" rep
  dir=$("$SKIFF" image inspect -f '{{.GraphDriver.Data.UpperDir}}' rep)
  [ "$(cat "$dir/d")" = "now a file" ]
  [ "$(cat "$dir/x")" = second ]
}
