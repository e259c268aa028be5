#!/usr/bin/env bats
# skiff push to Debian's docker-registry on a loopback port, read back by
# skopeo and umoci (independent readers) and by skiff itself from another
# store; a relay that cuts an upload and a fake registry that refuses
# chunks show how uploads recover.
load helpers

setup_file() {
  start_registry
  push_image busybox:latest
  push_image schema2:latest --v2s2
  push_image layered:1 --second-layer --compression zstd
}

teardown_file() { stop_registry; }

per_test_teardown() {
  [ -z "${RELAY_PID:-}" ] || kill "$RELAY_PID" 2>/dev/null || true
  [ -z "${FAKE_PID:-}" ] || kill "$FAKE_PID" 2>/dev/null || true
}

# A second store, for pulling back what was pushed (past the warning a first
# container gives without a subordinate range, as helpers.bash's setup does).
other_skiff() {
  mkdir -p -m 700 "$SKIFF_TEST_DIR/other" && touch "$SKIFF_TEST_DIR/other/.warned-single-id"
  SKIFF_ROOT=$SKIFF_TEST_DIR/other SKIFF_RUNROOT=$SKIFF_TEST_DIR/other-run "$SKIFF" "$@"
}

# The manifest skopeo reads for NAME, raw.
remote_manifest() { skopeo inspect --tls-verify=false --raw "docker://$1"; }

@test "an imported image goes up; skopeo inspects it, umoci unpacks it, skiff pulls it back with its ID" {
  import_busybox
  id=$("$SKIFF" images -q --no-trunc busybox)
  run_skiff tag busybox "$REGISTRY/pushed/busybox:1"
  run_skiff push "$REGISTRY/pushed/busybox:1"
  assert_equal "${lines[0]}" "The push refers to repository [$REGISTRY/pushed/busybox]"
  [[ ${lines[1]} =~ ^[0-9a-f]{12}:\ Pushed$ ]]
  [[ ${lines[2]} =~ ^1:\ digest:\ sha256:[0-9a-f]{64}\ size:\ [0-9]+$ ]]
  digest=$(echo "${lines[2]}" | cut -d' ' -f3)

  # skopeo: the same digest, an OCI manifest with one gzip layer, the config we had.
  assert_equal "$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$REGISTRY/pushed/busybox:1")" "$digest"
  manifest=$(remote_manifest "$REGISTRY/pushed/busybox:1")
  assert_equal "$(echo "$manifest" | jq -r .mediaType)" application/vnd.oci.image.manifest.v1+json
  assert_equal "$(echo "$manifest" | jq -r '.layers[0].mediaType')" application/vnd.oci.image.layer.v1.tar+gzip
  assert_equal "$(echo "$manifest" | jq -r .config.digest)" "$id"

  # umoci unpacks it (rootless) from the OCI layout skopeo copies it to.
  skopeo --insecure-policy copy --quiet --src-tls-verify=false "docker://$REGISTRY/pushed/busybox:1" \
    "oci:$SKIFF_TEST_DIR/layout:1"
  umoci unpack --rootless --image "$SKIFF_TEST_DIR/layout:1" "$SKIFF_TEST_DIR/bundle" >/dev/null
  [ -x "$SKIFF_TEST_DIR/bundle/rootfs/bin/busybox" ]
  cmp "$SKIFF_TEST_DIR/bundle/rootfs/bin/busybox" "$(command -v busybox)"
  chmod -R u+w "$SKIFF_TEST_DIR/bundle" 2>/dev/null || true

  # Another store pulls it: the same image ID (every layer went up byte for byte), and it runs.
  other_skiff pull -q "$REGISTRY/pushed/busybox:1"
  assert_equal "$(other_skiff images -q --no-trunc)" "$id"
  run other_skiff run --rm "$REGISTRY/pushed/busybox:1" echo round trip
  assert_equal "$output" "round trip"
  other_skiff system reset -f >/dev/null

  # The pushed digest is remembered.
  run_skiff image inspect -f '{{json .RepoDigests}}' busybox
  assert_output_contains "$REGISTRY/pushed/busybox@$digest"
}

@test "a second push finds every blob there; another repository mounts them; -q prints the name" {
  import_busybox
  run_skiff push busybox "$REGISTRY/again/busybox"
  first=$(echo "${lines[2]}" | cut -d' ' -f3)
  run_skiff push busybox "$REGISTRY/again/busybox"
  [[ ${lines[1]} =~ ^[0-9a-f]{12}:\ Layer\ already\ exists$ ]]
  assert_equal "$(echo "${lines[2]}" | cut -d' ' -f3)" "$first"
  run_skiff push busybox "docker://$REGISTRY/elsewhere/busybox:2"
  [[ ${lines[1]} =~ ^[0-9a-f]{12}:\ Mounted\ from\ again/busybox$ ]]
  assert_equal "$(echo "${lines[2]}" | cut -d' ' -f3)" "$first"
  run_skiff push -q busybox "$REGISTRY/quiet/busybox:3"
  assert_equal "$output" "$REGISTRY/quiet/busybox:3"
}

@test "a pulled image pushed to another repository keeps its manifest and digest, docker's format too" {
  for name in busybox:latest schema2:latest; do
    source_digest=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$REGISTRY/$name")
    run_skiff pull -q "$REGISTRY/$name"
    run_skiff push --digestfile "$SKIFF_TEST_DIR/digest" "$REGISTRY/$name" "$REGISTRY/copy/$name"
    assert_output_contains "Mounted from ${name%%:*}"
    assert_equal "$(cat "$SKIFF_TEST_DIR/digest")" "$source_digest"
    assert_equal "$(remote_manifest "$REGISTRY/copy/$name")" "$(remote_manifest "$REGISTRY/$name")"
  done
}

@test "--format v2s2 and oci, zstd layers, --force-compression: each readable by skopeo and skiff" {
  run_skiff pull -q "$REGISTRY/layered:1"
  id=$("$SKIFF" images -q --no-trunc)
  # The zstd image in docker's format: its layers are compressed again with gzip.
  run_skiff push --format v2s2 "$REGISTRY/layered:1" "$REGISTRY/formats/v2s2"
  manifest=$(remote_manifest "$REGISTRY/formats/v2s2")
  assert_equal "$(echo "$manifest" | jq -r .mediaType)" application/vnd.docker.distribution.manifest.v2+json
  assert_equal "$(echo "$manifest" | jq -r '[.layers[].mediaType] | unique | join(",")')" \
    application/vnd.docker.image.rootfs.diff.tar.gzip
  assert_equal "$(echo "$manifest" | jq -r .config.mediaType)" application/vnd.docker.container.image.v1+json
  # zstd, asked for: new zstd blobs even though gzip ones are there now.
  run_skiff push --compression-format zstd --compression-level 19 --force-compression \
    "$REGISTRY/layered:1" "$REGISTRY/formats/zstd"
  assert_equal "$(echo "$output" | grep -c ': Pushed$')" 2
  manifest=$(remote_manifest "$REGISTRY/formats/zstd")
  assert_equal "$(echo "$manifest" | jq -r '[.layers[].mediaType] | unique | join(",")')" \
    application/vnd.oci.image.layer.v1.tar+zstd
  for name in formats/v2s2 formats/zstd; do
    skopeo inspect --tls-verify=false "docker://$REGISTRY/$name" >/dev/null
    other_skiff pull -q "$REGISTRY/$name"
    assert_equal "$(other_skiff image inspect -f '{{.Id}}' "$REGISTRY/$name")" "$id"
  done
  run other_skiff run --rm "$REGISTRY/formats/zstd" cat /hello.txt
  assert_equal "$output" "hello from layer 2"
  other_skiff system reset -f >/dev/null
  # zstd has no place in docker's format: refused before anything goes up.
  run_skiff 125 push --format v2s2 --compression-format zstd "$REGISTRY/layered:1" "$REGISTRY/formats/never"
  assert_skiff_error "docker's manifest format (v2s2) has no zstd layers: use --format oci"
  run_skiff 125 push --compression-level 9 "$REGISTRY/layered:1" "$REGISTRY/formats/never"
  assert_skiff_error "gzip compression levels are 0 to 3, not 9"
  run skopeo inspect --tls-verify=false "docker://$REGISTRY/formats/never"
  [ "$status" -ne 0 ]
}

@test "small chunks: a blob in many PATCH requests comes back identical" {
  import_rootfs big --random-file big=3000000
  id=$("$SKIFF" images -q --no-trunc big)
  SKIFF_PUSH_CHUNK_SIZE=65536 run_skiff push big "$REGISTRY/chunked/big"
  other_skiff pull -q "$REGISTRY/chunked/big"
  assert_equal "$(other_skiff images -q --no-trunc)" "$id"
  other_skiff system reset -f >/dev/null
}

@test "an upload cut mid-transfer starts again and succeeds" {
  import_rootfs big --random-file big=3000000
  python3 "$BATS_TEST_DIRNAME/tcp_relay.py" 127.0.0.1 "$REGISTRY" "$SKIFF_TEST_DIR/relay-port" 500000 >/dev/null 2>&1 &
  RELAY_PID=$!
  for _ in $(seq 50); do [ -s "$SKIFF_TEST_DIR/relay-port" ] && break; sleep 0.1; done
  relay=127.0.0.1:$(cat "$SKIFF_TEST_DIR/relay-port")
  run_skiff push big "$relay/cut/big"
  assert_output_contains ": Pushed"
  other_skiff pull -q "$REGISTRY/cut/big"
  assert_equal "$(other_skiff images -q --no-trunc)" "$("$SKIFF" images -q --no-trunc big)"
  other_skiff system reset -f >/dev/null
}

@test "a registry that refuses chunks gets each blob whole" {
  import_rootfs big --random-file big=3000000
  layout=$SKIFF_TEST_DIR/fake-layout
  python3 "$BATS_TEST_DIRNAME/make_oci.py" "$(busybox_tar)" "$layout"
  FAKE_LOG=$SKIFF_TEST_DIR/fake.log
  python3 "$BATS_TEST_DIRNAME/fake_registry.py" "$layout" "$SKIFF_TEST_DIR/fake-port" "$FAKE_LOG" --no-chunks &
  FAKE_PID=$!
  for _ in $(seq 100); do [ -s "$SKIFF_TEST_DIR/fake-port" ] && break; sleep 0.05; done
  fake=127.0.0.1:$(cat "$SKIFF_TEST_DIR/fake-port")
  SKIFF_PUSH_CHUNK_SIZE=65536 run_skiff push big "$fake/whole/big"
  # One PATCH refused, then the blob in one PUT.
  assert_equal "$(grep -c '^PATCH ' "$FAKE_LOG")" 1
  grep -q '^PUT /upload/[0-9]*?digest=sha256' "$FAKE_LOG"
  other_skiff pull -q "$fake/whole/big"
  assert_equal "$(other_skiff images -q --no-trunc)" "$("$SKIFF" images -q --no-trunc big)"
  other_skiff system reset -f >/dev/null
}

@test "a layer without a tar recipe goes up rebuilt from its files, under the new ID a warning gives" {
  import_busybox
  id=$("$SKIFF" images -q --no-trunc busybox)
  rm "$SKIFF_ROOT"/layers/*/tar-recipe
  run_skiff_split push busybox "$REGISTRY/rebuilt/busybox"
  [[ $stderr == "skiff: warning: image \`busybox\` has layers extracted before skiff kept their original tars"* ]]
  new=$(echo "$stderr" | sed -n 's/.*image.s ID there is \(sha256:[0-9a-f]*\), not.*/\1/p')
  [ -n "$new" ]
  [ "$new" != "$id" ]
  assert_equal "$(remote_manifest "$REGISTRY/rebuilt/busybox" | jq -r .config.digest)" "$new"
  other_skiff pull -q "$REGISTRY/rebuilt/busybox"
  run other_skiff run --rm "$REGISTRY/rebuilt/busybox" echo rebuilt
  assert_equal "$output" rebuilt
  other_skiff system reset -f >/dev/null
  # What went up is another image: the local one does not claim its digest.
  run_skiff image inspect -f '{{json .RepoDigests}}' busybox
  assert_output_not_contains rebuilt
}

@test "-a pushes every tag of a repository" {
  import_busybox "$REGISTRY/tags/busybox:1"
  run_skiff tag "$REGISTRY/tags/busybox:1" "$REGISTRY/tags/busybox:2"
  run_skiff push -a -q "$REGISTRY/tags/busybox"
  assert_equal "$output" "$REGISTRY/tags/busybox:1"$'\n'"$REGISTRY/tags/busybox:2"
  assert_equal "$(skopeo list-tags --tls-verify=false "docker://$REGISTRY/tags/busybox" | jq -r '.Tags | sort | join(",")')" 1,2
}

@test "bad pushes fail clearly and leave no manifest" {
  run_skiff 125 push "$REGISTRY/missing/image:1"
  assert_skiff_error "push \`$REGISTRY/missing/image:1\`: No such image"
  import_busybox
  id=$("$SKIFF" images -q)
  run_skiff 125 push "$id"
  assert_skiff_error "the image has no name to push it to: give a destination"
  run_skiff 125 push busybox "$REGISTRY/x@sha256:$(printf '%064d' 0)"
  assert_skiff_error "names a digest: push to a tag"
  run_skiff 125 push busybox "127.0.0.1:1/nowhere/busybox"
  assert_output_contains "skiff: push \`127.0.0.1:1/nowhere/busybox\`:"
  run_skiff 125 push --format v3 busybox "$REGISTRY/x/y"
  assert_skiff_error "unknown manifest format \`v3\`: it is oci or v2s2"
  # A layer whose files changed since it was extracted: refused, nothing named.
  layer=$(ls "$SKIFF_ROOT/layers" | grep -E '^[0-9a-f]{64}$' | head -1)
  # Changed from a container, where the layer's owners are mapped.
  run_skiff run --rm -v "$SKIFF_ROOT/layers/$layer/diff:/layer" busybox \
    sh -c 'printf X | dd of=/layer/etc/passwd bs=1 seek=0 conv=notrunc 2>/dev/null'
  run_skiff 125 push busybox "$REGISTRY/tampered/busybox"
  assert_output_contains "its files no longer match the tar it was extracted from"
  run skopeo inspect --tls-verify=false "docker://$REGISTRY/tampered/busybox"
  [ "$status" -ne 0 ]
}

@test "pushing to a registry that needs credentials: a clear error, then skiff login works" {
  start_auth_registry pusher secret
  # A home of the test's own: the credentials and the CA never leak out.
  export HOME=$SKIFF_TEST_DIR/home REGISTRY_AUTH_FILE=$SKIFF_TEST_DIR/auth.json
  mkdir -p "$HOME/.config/containers/certs.d/$AUTH_REGISTRY"
  cp "$AUTH_REGISTRY_CERT" "$HOME/.config/containers/certs.d/$AUTH_REGISTRY/ca.crt"
  import_busybox
  run_skiff 125 push busybox "$AUTH_REGISTRY/secret/busybox"
  assert_output_contains "skiff login $AUTH_REGISTRY"
  echo secret | "$SKIFF" login --authfile "$SKIFF_TEST_DIR/other-auth.json" -u pusher --password-stdin \
    "$AUTH_REGISTRY" >/dev/null
  run_skiff 125 push busybox "$AUTH_REGISTRY/secret/busybox"
  run_skiff push --authfile "$SKIFF_TEST_DIR/other-auth.json" busybox "$AUTH_REGISTRY/secret/busybox"
  assert_output_contains ": Pushed"
  echo secret | "$SKIFF" login -u pusher --password-stdin "$AUTH_REGISTRY" >/dev/null
  run_skiff push busybox "$AUTH_REGISTRY/secret/busybox"
  assert_output_contains ": Layer already exists"
  skopeo inspect --creds pusher:secret --cert-dir "$HOME/.config/containers/certs.d/$AUTH_REGISTRY" \
    "docker://$AUTH_REGISTRY/secret/busybox" >/dev/null
  stop_auth_registry
}

@test "a registry that asks for a client certificate gets certs.d's *.cert and *.key" {
  export HOME=$SKIFF_TEST_DIR/home
  dir=$SKIFF_TEST_DIR/mtls
  mkdir -p "$dir/data"
  make_test_certificate "$dir"
  # A client CA, and a client certificate it signed.
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=client-ca -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj /CN=client -keyout "$dir/client.key" -out "$dir/client.csr" 2>/dev/null
  openssl x509 -req -in "$dir/client.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
    -out "$dir/client.cert" 2>/dev/null
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat >"$dir/config.yml" <<YAML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $dir/data}}
http: {addr: 127.0.0.1:$port, tls: {certificate: $dir/cert.pem, key: $dir/key.pem, clientcas: [$dir/ca.pem]}}
YAML
  docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
  FAKE_PID=$!
  for _ in $(seq 100); do
    curl -sf --cacert "$dir/cert.pem" --cert "$dir/client.cert" --key "$dir/client.key" "https://127.0.0.1:$port/v2/" \
      >/dev/null && break
    sleep 0.1
  done
  certs=$HOME/.config/containers/certs.d/127.0.0.1:$port
  mkdir -p "$certs"
  cp "$dir/cert.pem" "$certs/ca.crt"
  import_busybox
  # Without one the TLS handshake fails, and the error says where it went wrong.
  run_skiff 125 push busybox "127.0.0.1:$port/mtls/busybox"
  assert_output_contains "skiff: push \`127.0.0.1:$port/mtls/busybox\`:"
  cp "$dir/client.cert" "$dir/client.key" "$certs/"
  run_skiff push busybox "127.0.0.1:$port/mtls/busybox"
  assert_output_contains ": Pushed"
  other_skiff pull -q "127.0.0.1:$port/mtls/busybox"
  other_skiff system reset -f >/dev/null
  rm "$certs/client.key"
  run_skiff 125 pull "127.0.0.1:$port/mtls/busybox"
  assert_skiff_error "the client certificate \`$certs/client.cert\` has no key \`$certs/client.key\`"
}

@test "on a terminal, rows per layer end in Pushed and the digest line" {
  command -v script >/dev/null || skip "util-linux's script is not installed"
  import_busybox
  run script -qefc "$SKIFF push busybox $REGISTRY/tty/busybox" /dev/null
  [ "$status" -eq 0 ]
  assert_output_contains "The push refers to repository [$REGISTRY/tty/busybox]"
  assert_output_contains ": Pushed"
  assert_output_contains "latest: digest: sha256:"
}

@test "an image skiff built goes up; skopeo and umoci accept it, whiteouts included, and skiff pulls the same ID" {
  import_busybox
  ctx=$SKIFF_TEST_DIR/ctx
  mkdir -p "$ctx"
  echo built >"$ctx/built.txt"
  printf 'FROM busybox\nCOPY built.txt /built.txt\nRUN rm /bin/vi && mkdir /made && echo run > /made/run.txt\nENV BUILT=1\nCMD ["cat", "/built.txt"]\n' >"$ctx/Dockerfile"
  run_skiff build -q -t "$REGISTRY/built/app:1" "$ctx"
  id=$output
  run_skiff push "$REGISTRY/built/app:1"
  assert_equal "$(skopeo inspect --tls-verify=false --format '{{len .Layers}}' "docker://$REGISTRY/built/app:1")" 3
  assert_equal "$(remote_manifest "$REGISTRY/built/app:1" | jq -r .config.digest)" "$id"
  skopeo --insecure-policy copy --quiet --src-tls-verify=false "docker://$REGISTRY/built/app:1" \
    "oci:$SKIFF_TEST_DIR/built-layout:1"
  umoci unpack --rootless --image "$SKIFF_TEST_DIR/built-layout:1" "$SKIFF_TEST_DIR/built-bundle" >/dev/null
  root=$SKIFF_TEST_DIR/built-bundle/rootfs
  assert_equal "$(cat "$root/built.txt" "$root/made/run.txt")" "$(printf 'built\nrun')"
  [ ! -e "$root/bin/vi" ]
  [ -x "$root/bin/busybox" ]
  chmod -R u+w "$SKIFF_TEST_DIR/built-bundle" 2>/dev/null || true
  other_skiff pull -q "$REGISTRY/built/app:1"
  assert_equal "$(other_skiff images -q --no-trunc "$REGISTRY/built/app:1")" "$id"
  run other_skiff run --rm "$REGISTRY/built/app:1"
  assert_equal "$output" "built"
}
