#!/usr/bin/env bats
# skiff system check [--repair]: what a crash, a kill -9 or hands in the
# store left inconsistent is found, and repaired where nothing is lost.
load helpers

per_test_setup() { import_busybox; }

per_test_teardown() { remove_all_containers; }

@test "a consistent store has no problems" {
  run_skiff create --name one busybox true
  run_skiff system check
  assert_equal "$output" "no problems found"
  run_skiff system check --repair
  assert_equal "$output" "no problems found"
}

@test "names: a link to no container goes, a missing one comes back" {
  run_skiff create --name keep busybox true
  id=$("$SKIFF" inspect -f '{{.Id}}' keep)
  ln -s 0123456789abcdef "$SKIFF_ROOT/containers/.names/ghost"
  touch -h -d '2 hours ago' "$SKIFF_ROOT/containers/.names/ghost"
  rm "$SKIFF_ROOT/containers/.names/keep"
  run_skiff 1 system check
  assert_output_contains "name \`ghost\`: points to no container that has it"
  assert_output_contains "its name \`keep\` is not registered"
  [ -L "$SKIFF_ROOT/containers/.names/ghost" ]
  run_skiff system check --repair
  assert_output_contains "2 problem(s) found, 2 repaired"
  [ ! -e "$SKIFF_ROOT/containers/.names/ghost" ]
  [ "$(readlink "$SKIFF_ROOT/containers/.names/keep")" = "$id" ]
  run_skiff system check
  assert_equal "$output" "no problems found"
  # A fresh link may be a create in progress: left alone.
  ln -s 0123456789abcdef "$SKIFF_ROOT/containers/.names/young"
  run_skiff system check
  assert_equal "$output" "no problems found"
  rm "$SKIFF_ROOT/containers/.names/young"
}

@test "an image whose layer is gone is removed; a layer no image uses is removed" {
  layer=$(ls "$SKIFF_ROOT/layers" | grep -v '^\.' | head -1)
  mv "$SKIFF_ROOT/layers/$layer" "$SKIFF_TEST_DIR/saved-layer"
  run_skiff 1 system check
  assert_output_contains "layer ${layer:0:12} is missing"
  run_skiff system check --repair
  assert_output_contains ": repaired"
  run_skiff images -q
  assert_equal "$output" ""
  # Back with no image using it: unused.
  mv "$SKIFF_TEST_DIR/saved-layer" "$SKIFF_ROOT/layers/$layer"
  run_skiff 1 system check
  assert_output_contains "layer ${layer:0:12}: no image or container uses it"
  run_skiff system check --repair
  [ ! -e "$SKIFF_ROOT/layers/$layer" ]
  run_skiff system check
  assert_equal "$output" "no problems found"
}

@test "an unreadable container record is removed; a container whose layer is gone is reported" {
  run_skiff create --name broken busybox true
  id=$("$SKIFF" inspect -f '{{.Id}}' broken)
  echo '{not json' >"$SKIFF_ROOT/containers/$id/config.json"
  run_skiff 1 system check
  assert_output_contains "container ${id:0:12}: unreadable record"
  run_skiff system check --repair
  [ ! -e "$SKIFF_ROOT/containers/$id" ]
  [ ! -e "$SKIFF_ROOT/containers/.names/broken" ]
}

@test "a dead monitor is recorded; its --rm container and socket are cleaned up" {
  run_skiff run -d --rm --name lost busybox sleep 60
  id=$("$SKIFF" inspect -f '{{.Id}}' lost)
  mon=$(pgrep -u "$(id -u)" -f "__monitor .*$id" | head -1)
  kill -9 "$mon"
  for _ in $(seq 100); do kill -0 "$mon" 2>/dev/null || break; sleep 0.05; done
  [ -S "$SKIFF_RUNROOT/containers/$id.sock" ]
  run_skiff 1 system check
  assert_output_contains "container ${id:0:12}: its monitor had died; recorded as exited: repaired"
  assert_output_contains "a --rm container its monitor left behind"
  assert_output_contains "socket ${id:0:12}: its container no longer runs"
  run_skiff system check --repair
  run_skiff 125 inspect lost
  [ ! -e "$SKIFF_RUNROOT/containers/$id.sock" ]
  run_skiff system check
  assert_equal "$output" "no problems found"
}
