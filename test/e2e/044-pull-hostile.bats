#!/usr/bin/env bats
# skiff pull from a registry that misbehaves (test/e2e/fake_registry.py):
# dropped connections are resumed, everything else is a clear error that
# leaves the store as it was.
load helpers

setup_file() {
  export LAYOUT=$BATS_FILE_TMPDIR/layout
  python3 "$BATS_TEST_DIRNAME/make_oci.py" "$(busybox_tar)" "$LAYOUT" --second-layer
}

# start_fake FLAGS...: the fake registry serving $LAYOUT; sets FAKE
# (host:port), FAKE_PID and FAKE_LOG (one line per request).
start_fake() {
  local port_file=$SKIFF_TEST_DIR/fake-port
  FAKE_LOG=$SKIFF_TEST_DIR/fake.log
  : >"$FAKE_LOG"
  python3 "$BATS_TEST_DIRNAME/fake_registry.py" "$LAYOUT" "$port_file" "$FAKE_LOG" "$@" &
  FAKE_PID=$!
  for _ in $(seq 100); do [ -s "$port_file" ] && break; sleep 0.05; done
  FAKE=127.0.0.1:$(cat "$port_file")
}

per_test_teardown() { [ -z "${FAKE_PID:-}" ] || kill "$FAKE_PID" 2>/dev/null || true; }

# The store holds no image and no layer.
assert_store_empty() {
  run_skiff images -q
  assert_equal "$output" ""
  assert_equal "$(ls "$SKIFF_ROOT/layers" 2>/dev/null | grep -cE '^[0-9a-f]{64}$')" 0
  [ -z "$(find "$SKIFF_ROOT" -name '.tmp-*' 2>/dev/null)" ]
}

# How many requests the fake registry saw for layer blobs.
blob_requests() { grep -c '^GET /v2/[^ ]*/blobs/' "$FAKE_LOG" || true; }

@test "a connection dropped mid-blob is resumed from the byte it stopped at" {
  start_fake --drop-after 100000
  run_skiff pull "$FAKE/hostile/dropped"
  assert_equal "$output" "$FAKE/hostile/dropped:latest"
  # Each layer blob was asked for again with a Range from where it broke.
  grep -q 'bytes=100000-' "$FAKE_LOG"
  run_skiff run --rm "$FAKE/hostile/dropped" cat /hello.txt
  assert_equal "$output" "hello from layer 2"
}

@test "a server that ignores Range sends the blob again, and the first bytes are not taken twice" {
  start_fake --drop-after 100000 --ignore-range
  run_skiff pull -q "$FAKE/hostile/norange"
  grep -q 'bytes=100000-' "$FAKE_LOG"
  run_skiff run --rm "$FAKE/hostile/norange" cat /hello.txt
  assert_equal "$output" "hello from layer 2"
}

@test "a connection that always drops fails after five attempts, leaving nothing" {
  start_fake --drop-after 1000 --drops 0
  run_skiff 125 pull "$FAKE/hostile/always"
  assert_skiff_error "pull \`$FAKE/hostile/always\`: layer sha256:"
  # Each blob: 5 attempts at most; the first failure stops the other layer.
  [ "$(blob_requests)" -le 12 ]
  assert_store_empty
}

@test "a 206 answer from the wrong byte is refused" {
  start_fake --drop-after 100000 --bad-range
  run_skiff 125 pull "$FAKE/hostile/badrange"
  assert_output_contains "with \`Content-Range: bytes 0-"
  assert_store_empty
}

@test "a redirect loop is a clear error" {
  start_fake --redirect-loop
  run_skiff 125 pull "$FAKE/hostile/loop"
  assert_output_contains "redirects"
  assert_store_empty
}

@test "an oversize manifest is refused without reading it all" {
  start_fake --manifest-size 20000000
  run_skiff 125 pull "$FAKE/hostile/huge"
  assert_output_contains "the manifest is larger than 4194304 bytes"
  assert_store_empty
}

@test "a manifest of an unknown media type, or not JSON, is refused" {
  start_fake --manifest-type text/html --manifest-body '<html>hello</html>'
  run_skiff 125 pull "$FAKE/hostile/html"
  assert_skiff_error "pull \`$FAKE/hostile/html\`"
  assert_output_contains "text/html"
  assert_store_empty
}

@test "layers of a media type that is not a tar are refused by name" {
  start_fake --layer-type application/vnd.example.not-a-layer
  run_skiff 125 pull "$FAKE/hostile/wrongtype"
  assert_output_contains "application/vnd.example.not-a-layer"
  assert_equal "$(blob_requests)" 0
  assert_store_empty
}
