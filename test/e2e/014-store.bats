#!/usr/bin/env bats
# The store under concurrency and crashes: never corrupt, never half-made.
load helpers

@test "8 concurrent imports all land, sharing one layer" {
  tar=$(busybox_tar)
  pids=()
  for i in $(seq 8); do
    "$SKIFF" import "$tar" "par:$i" >"$SKIFF_TEST_DIR/out.$i" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  run_skiff images --format '{{.Tag}}'
  [ "${#lines[@]}" -eq 8 ]
  [ "$(ls "$SKIFF_ROOT/layers" | wc -l)" -eq 1 ]
  for f in "$SKIFF_ROOT"/images/*.json; do python3 -m json.tool "$f" >/dev/null; done
}

@test "concurrent tags of one name leave it on exactly one image" {
  for i in 1 2 3 4; do "$SKIFF" import "$(busybox_tar)" "img$i" >/dev/null; done
  for i in 1 2 3 4; do "$SKIFF" tag "img$i" contested & done
  wait
  run_skiff images --filter reference=contested --format '{{.ID}}'
  [ "${#lines[@]}" -eq 1 ]
}

@test "an import killed with SIGKILL leaves nothing a later command trusts" {
  big=$SKIFF_TEST_DIR/big.tar
  mkdir -p "$SKIFF_TEST_DIR/big"
  for i in $(seq 40); do head -c 4000000 /dev/urandom > "$SKIFF_TEST_DIR/big/f$i"; done
  tar -C "$SKIFF_TEST_DIR/big" -cf "$big" .
  # A slow source: the import is certainly mid-way when killed.
  ( cat "$big"; sleep 30 ) | "$SKIFF" import - killed &
  importer=$!
  for _ in $(seq 100); do ls "$SKIFF_ROOT/layers"/.tmp-* >/dev/null 2>&1 && break; sleep 0.05; done
  sleep 0.5
  pkill -KILL -f "$SKIFF import - killed" || true
  kill "$importer" 2>/dev/null || true
  wait "$importer" 2>/dev/null || true
  pkill -f "sleep 30" || true
  run_skiff images -q
  [ -z "$output" ]
  # The next command that changes the store collects the leftovers.
  run_skiff image prune
  [ -z "$(ls -A "$SKIFF_ROOT/layers")" ]
}

@test "an image record damaged on disk is reported, not fatal" {
  import_busybox good
  echo '{"broken' > "$SKIFF_ROOT/images/$(printf '%064d' 1).json"
  run_skiff images --format '{{.Repository}}'
  assert_output_contains "warning: skipping image record"
  assert_output_contains good
}

@test "a config blob changed on disk is detected" {
  id=$("$SKIFF" import "$(busybox_tar)" tampered)
  blob="$SKIFF_ROOT/blobs/sha256/${id:7}"
  chmod u+w "$blob"
  echo '{}' > "$blob"
  run_skiff 125 image inspect tampered
  assert_skiff_error "does not match its digest"
}

@test "system reset removes everything, subordinate-owned files too" {
  python3 "$BATS_TEST_DIRNAME/hostile_tar.py" owners "$SKIFF_TEST_DIR/owners.tar"
  run_skiff import "$SKIFF_TEST_DIR/owners.tar" owners
  run_skiff system reset -f
  [ ! -e "$SKIFF_ROOT" ]
}

@test "system reset never deletes what isn't skiff's, even when the store is a home folder" {
  mkdir -p "$SKIFF_TEST_DIR/home/.config" "$SKIFF_TEST_DIR/rundir"
  echo precious > "$SKIFF_TEST_DIR/home/notes.txt"
  echo precious > "$SKIFF_TEST_DIR/rundir/socket-of-someone"
  import_busybox
  SKIFF_ROOT=$SKIFF_TEST_DIR/home SKIFF_RUNROOT=$SKIFF_TEST_DIR/rundir run_skiff import "$(busybox_tar)" busybox
  SKIFF_ROOT=$SKIFF_TEST_DIR/home SKIFF_RUNROOT=$SKIFF_TEST_DIR/rundir run_skiff run --rm busybox true
  SKIFF_ROOT=$SKIFF_TEST_DIR/home SKIFF_RUNROOT=$SKIFF_TEST_DIR/rundir run_skiff system reset -f
  assert_output_contains "holds files that are not skiff's"
  assert_equal "$(ls -A "$SKIFF_TEST_DIR/home" | tr '\n' ' ')" ".config notes.txt "
  assert_equal "$(cat "$SKIFF_TEST_DIR/home/notes.txt")" precious
  assert_equal "$(ls -A "$SKIFF_TEST_DIR/rundir")" socket-of-someone
}

@test "containers half made or half removed by a killed command are collected after ten minutes" {
  import_busybox
  mkdir -p "$SKIFF_ROOT/containers/.tmp-old/upper" "$SKIFF_ROOT/containers/.trash-old" "$SKIFF_ROOT/containers/.tmp-new"
  touch -d '20 minutes ago' "$SKIFF_ROOT/containers/.tmp-old" "$SKIFF_ROOT/containers/.trash-old"
  import_busybox other
  [ ! -e "$SKIFF_ROOT/containers/.tmp-old" ] && [ ! -e "$SKIFF_ROOT/containers/.trash-old" ]
  [ -d "$SKIFF_ROOT/containers/.tmp-new" ]
  rmdir "$SKIFF_ROOT/containers/.tmp-new"
}
