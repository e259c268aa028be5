#!/usr/bin/env bats
# skiff pull against Debian's docker-registry on a loopback port, filled by
# skopeo from OCI layouts that make_oci.py writes.
load helpers

setup_file() {
  start_registry
  push_image busybox:latest
  push_image layered:1 --second-layer --compression zstd
  push_image multi:latest --index
  push_image schema2:latest --v2s2
  push_image plain:latest --compression none
  push_image three:latest --second-layer --salt three
}

teardown_file() { stop_registry; }

per_test_teardown() { [ -z "${RELAY_PID:-}" ] || kill "$RELAY_PID" 2>/dev/null || true; }

@test "pull by tag stores the image under its name, and it runs" {
  run_skiff pull "$REGISTRY/busybox"
  assert_equal "$output" "$REGISTRY/busybox:latest"
  run_skiff images --format '{{.Repository}}:{{.Tag}}'
  assert_equal "$output" "$REGISTRY/busybox:latest"
  run_skiff run --rm "$REGISTRY/busybox" sh -c 'echo pulled'
  assert_equal "$output" pulled
  # Again: nothing new, same image.
  id=$("$SKIFF" images -q --no-trunc)
  run_skiff pull -q "$REGISTRY/busybox:latest"
  assert_equal "$("$SKIFF" images -q --no-trunc)" "$id"
}

@test "run and create pull a missing image (--pull missing), or always, or never" {
  run_skiff_split run --rm "$REGISTRY/busybox" echo ran
  assert_equal "$output" ran
  assert_equal "$stderr" "Unable to find image '$REGISTRY/busybox' locally"
  run_skiff run --rm "$REGISTRY/busybox" echo again
  assert_equal "$output" again
  run_skiff create --pull always --name made "$REGISTRY/layered:1" true
  run_skiff 125 run --rm --pull never "$REGISTRY/plain" true
  assert_skiff_error "No such image"
  run_skiff rm made
}

@test "layers apply in order: a zstd second layer adds a file and deletes one" {
  run_skiff pull "$REGISTRY/layered:1"
  run_skiff run --rm "$REGISTRY/layered:1" sh -c 'cat /hello.txt; ls /bin/ls 2>&1 || true'
  assert_output_contains "hello from layer 2"
  assert_output_contains "No such file"
  assert_equal "$(ls "$SKIFF_ROOT/layers" | grep -cE '^[0-9a-f]{64}$')" 2
}

@test "three layers downloaded at once land in order" {
  run_skiff pull "$REGISTRY/three"
  run_skiff run --rm "$REGISTRY/three" sh -c 'cat /hello.txt; head -c 10 /salt; echo; ls /bin/ls 2>&1 || true'
  assert_equal "${lines[0]}" "hello from layer 2"
  assert_equal "${lines[1]}" "threethree"
  assert_output_contains "No such file"
  assert_equal "$(ls "$SKIFF_ROOT/layers" | grep -cE '^[0-9a-f]{64}$')" 3
}

@test "docker schema 2 and uncompressed OCI layers" {
  run_skiff pull "$REGISTRY/schema2"
  run_skiff pull "$REGISTRY/plain"
  run_skiff run --rm "$REGISTRY/plain" true
}

@test "a multi-platform index: this machine's entry, --platform another, a missing one is a clear error" {
  run_skiff pull "$REGISTRY/multi"
  assert_equal "$("$SKIFF" image inspect -f '{{.Architecture}}' "$REGISTRY/multi")" amd64
  run_skiff pull --platform linux/arm64 "$REGISTRY/multi"
  assert_equal "$("$SKIFF" image inspect -f '{{.Architecture}}' "$REGISTRY/multi")" arm64
  run_skiff 125 pull --platform linux/s390x "$REGISTRY/multi"
  assert_skiff_error "no image for linux/s390x in the manifest list (it has: linux/amd64, linux/arm64)"
}

@test "pull by digest records the digest, and a wrong digest is refused" {
  digest=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$REGISTRY/busybox:latest")
  run_skiff pull "$REGISTRY/busybox@$digest"
  assert_equal "$output" "$REGISTRY/busybox@$digest"
  assert_equal "$("$SKIFF" image inspect -f '{{index .RepoDigests 0}}' "$REGISTRY/busybox@$digest")" "$REGISTRY/busybox@$digest"
  run_skiff 125 pull "$REGISTRY/busybox@sha256:$(printf '0%.0s' $(seq 64))"
  assert_skiff_error "not found"
}

@test "unknown repositories and tags, and a registry that isn't there, are clear errors" {
  run_skiff 125 pull "$REGISTRY/nothing:here"
  assert_skiff_error "pull \`$REGISTRY/nothing:here\`: fetch manifest $REGISTRY/nothing:here: not found"
  run_skiff 125 pull "$REGISTRY/busybox:nosuchtag"
  assert_skiff_error "not found"
  run_skiff 125 pull 127.0.0.1:1/busybox
  assert_skiff_error "pull \`127.0.0.1:1/busybox\`"
  run_skiff images -q
  assert_equal "$output" ""
}

# layer_digest NAME[:TAG] N: the digest of layer N (from 0) of an image in the registry.
layer_digest() {
  skopeo inspect --tls-verify=false --raw "docker://$REGISTRY/$1" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["layers"][int(sys.argv[1])]["digest"])' "$2"
}

# assert_store_empty: no image, no layer, nothing half-made.
assert_store_empty() {
  run_skiff images -q
  assert_equal "$output" ""
  assert_equal "$(ls "$SKIFF_ROOT/layers" 2>/dev/null | grep -cE '^[0-9a-f]{64}$')" 0
}

@test "a layer blob that isn't what its digest names leaves nothing in the store" {
  push_image swapped:latest --salt swapped
  # The registry serves another valid layer (a zstd tar) for this digest:
  # it extracts fine; only the digest can tell.
  cp "$(registry_blob "$(layer_digest layered:1 1)")" "$(registry_blob "$(layer_digest swapped:latest 1)")"
  run_skiff 125 pull "$REGISTRY/swapped"
  assert_skiff_error "the registry sent a blob whose digest is"
  assert_store_empty
}

@test "a corrupt gzip layer leaves nothing in the store" {
  push_image corrupt:latest --salt corrupt
  blob=$(registry_blob "$(layer_digest corrupt:latest 1)")
  python3 -c 'import sys; p = sys.argv[1]; d = bytearray(open(p, "rb").read()); d[len(d) // 2] ^= 0xff; open(p, "wb").write(d)' "$blob"
  run_skiff 125 pull "$REGISTRY/corrupt"
  assert_skiff_error "gzip"
  assert_store_empty
}

# registries.conf, from $CONTAINERS_REGISTRIES_CONF.
write_registries_conf() {
  export CONTAINERS_REGISTRIES_CONF=$SKIFF_TEST_DIR/registries.conf
  cat >"$CONTAINERS_REGISTRIES_CONF"
}

@test "registries.conf: a short name is looked for in the search registries, in order" {
  write_registries_conf <<EOF2
unqualified-search-registries = ["127.0.0.1:1", "$REGISTRY"]
EOF2
  run_skiff pull plain
  assert_equal "$output" "$REGISTRY/plain:latest"
  # Found locally under that name from now on: no second pull.
  run_skiff_split run --rm plain echo local
  assert_equal "$output" local
  assert_equal "$stderr" ""
  run_skiff 125 pull no-such-image
  assert_skiff_error "pull \`no-such-image\`: no search registry has it"
  assert_output_contains "127.0.0.1:1"
}

@test "registries.conf: a mirror is tried first, and the name stays the registry's" {
  # The mirror holds busybox under mirror/<path>; the registry itself is unreachable.
  skopeo --insecure-policy copy --quiet --src-tls-verify=false --dest-tls-verify=false \
    "docker://$REGISTRY/busybox:latest" "docker://$REGISTRY/mirror/team/busybox:latest"
  write_registries_conf <<EOF2
[[registry]]
prefix = "unreachable.example/team"
location = "unreachable.example/team"
[[registry.mirror]]
location = "$REGISTRY/mirror/team"
EOF2
  run_skiff pull unreachable.example/team/busybox
  assert_equal "$output" "unreachable.example/team/busybox:latest"
  run_skiff run --rm unreachable.example/team/busybox echo mirrored
  assert_equal "$output" mirrored
}

@test "registries.conf: blocked registries are refused, insecure ones may speak plain HTTP" {
  write_registries_conf <<EOF2
[[registry]]
prefix = "$REGISTRY/layered"
blocked = true
EOF2
  run_skiff 125 pull "$REGISTRY/layered:1"
  assert_skiff_error "is blocked in registries.conf"
  # A registry that is not on loopback: reached by this host's other
  # address, plain HTTP only with an insecure entry (or --tls-verify=false).
  local address
  address=$(hostname -I | awk '{print $1}')
  [ -n "$address" ] || skip "this host has no address but loopback"
  python3 "$BATS_TEST_DIRNAME/tcp_relay.py" "$address" "$REGISTRY" "$SKIFF_TEST_DIR/relay-port" >/dev/null 2>&1 &
  RELAY_PID=$!
  for _ in $(seq 50); do [ -s "$SKIFF_TEST_DIR/relay-port" ] && break; sleep 0.1; done
  local remote=$address:$(cat "$SKIFF_TEST_DIR/relay-port")
  run_skiff 125 pull "$remote/busybox"
  assert_output_contains "https://$remote"
  write_registries_conf <<EOF2
[[registry]]
location = "$remote"
insecure = true
EOF2
  run_skiff pull "$remote/busybox"
  assert_equal "$output" "$remote/busybox:latest"
}

@test "on a terminal, pull shows a line per layer and docker's closing lines; elsewhere only the name" {
  command -v script >/dev/null || skip "util-linux's script is not installed"
  # script(1) gives the pull a terminal.
  run script -qefc "$SKIFF pull $REGISTRY/layered:1" /dev/null
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  assert_output_contains "1: Pulling from layered"
  assert_output_contains ": Pull complete"
  assert_output_contains "Digest: sha256:"
  assert_output_contains "Status: Downloaded newer image for $REGISTRY/layered:1"
  run script -qefc "$SKIFF pull $REGISTRY/layered:1" /dev/null
  assert_output_contains ": Already exists"
  assert_output_contains "Status: Image is up to date for $REGISTRY/layered:1"
  # -q on a terminal, and a pipe: the name alone.
  run script -qefc "$SKIFF pull -q $REGISTRY/layered:1" /dev/null
  assert_equal "$(echo "$output" | tr -d '\r')" "$REGISTRY/layered:1"
  run_skiff pull "$REGISTRY/layered:1"
  assert_equal "$output" "$REGISTRY/layered:1"
}

@test "pulls of one image from several shells at once neither corrupt nor duplicate it" {
  for i in 1 2 3 4; do
    timeout 120 "$SKIFF" pull -q "$REGISTRY/three" >"$SKIFF_TEST_DIR/pull.$i" 2>&1 &
  done
  wait
  for i in 1 2 3 4; do
    assert_equal "$(cat "$SKIFF_TEST_DIR/pull.$i")" "$REGISTRY/three:latest"
  done
  run_skiff images -q
  assert_equal "${#lines[@]}" 1
  assert_equal "$(ls "$SKIFF_ROOT/layers" | grep -cE '^[0-9a-f]{64}$')" 3
  run_skiff run --rm "$REGISTRY/three" cat /hello.txt
  assert_equal "$output" "hello from layer 2"
}
