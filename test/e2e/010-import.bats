#!/usr/bin/env bats
# skiff import: a rootfs tar becomes a one-layer image.
load helpers

layer_dir() { "$SKIFF" image inspect -f '{{.GraphDriver.Data.UpperDir}}' "$1"; }

@test "import of a plain tar prints the image ID and lists the image" {
  run_skiff_split import "$(busybox_tar)" busybox:1
  [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
  id=$output
  run_skiff images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
  assert_equal "$output" "busybox:1 ${id:7:12}"
}

@test "import of gzip and zstd tars gives the same layer as the plain tar" {
  tar=$(busybox_tar)
  gzip -c "$tar" > "$SKIFF_TEST_DIR/bb.tar.gz"
  zstd -q -c "$tar" > "$SKIFF_TEST_DIR/bb.tar.zst"
  run_skiff import "$tar" plain
  run_skiff import "$SKIFF_TEST_DIR/bb.tar.gz" gz
  run_skiff import "$SKIFF_TEST_DIR/bb.tar.zst" zst
  plain=$("$SKIFF" image inspect -f '{{index .RootFS.Layers 0}}' plain)
  [ "$plain" = "sha256:$(sha256sum "$tar" | cut -d' ' -f1)" ]
  [ "$("$SKIFF" image inspect -f '{{index .RootFS.Layers 0}}' gz)" = "$plain" ]
  [ "$("$SKIFF" image inspect -f '{{index .RootFS.Layers 0}}' zst)" = "$plain" ]
  # one layer on disk, shared by the three images
  [ "$(ls "$SKIFF_ROOT/layers" | wc -l)" -eq 1 ]
}

@test "import from stdin" {
  run_skiff import - frompipe < "$(busybox_tar)"
  run_skiff images --format '{{.Repository}}'
  assert_equal "$output" frompipe
}

@test "import from a URL" {
  cp "$(busybox_tar)" "$SKIFF_TEST_DIR/bb.tar"
  serve_once "$SKIFF_TEST_DIR"
  run_skiff import "http://127.0.0.1:$SERVER_PORT/bb.tar" fromurl
  wait "$SERVER_PID"
  run_skiff images --format '{{.Repository}}'
  assert_equal "$output" fromurl
}

@test "import from a URL that answers 404 is a clear error" {
  serve_once "$SKIFF_TEST_DIR"
  run_skiff 125 import "http://127.0.0.1:$SERVER_PORT/missing.tar" x
  wait "$SERVER_PID"
  assert_skiff_error "HTTP status 404"
  run_skiff images -q
  [ -z "$output" ]
}

@test "--change sets CMD, ENTRYPOINT, ENV, WORKDIR, USER, EXPOSE, LABEL" {
  run_skiff import --change 'CMD ["echo","hi"]' --change 'ENTRYPOINT /bin/sh' \
    -c 'ENV A=1 B="two words"' -c 'WORKDIR /srv' -c 'USER daemon' -c 'EXPOSE 80 53/udp' \
    -c 'LABEL org.example=yes' "$(busybox_tar)" changed
  run_skiff image inspect -f '{{json .Config.Cmd}}|{{json .Config.Entrypoint}}|{{json .Config.Env}}|{{.Config.WorkingDir}}|{{.Config.User}}|{{json .Config.ExposedPorts}}|{{index .Config.Labels "org.example"}}' changed
  assert_equal "$output" '["echo","hi"]|["/bin/sh","-c","/bin/sh"]|["A=1","B=two words"]|/srv|daemon|{"80/tcp":{},"53/udp":{}}|yes'
}

@test "--message is the image's comment" {
  run_skiff import -m "made by a test" "$(busybox_tar)" msg
  run_skiff image inspect -f '{{.Comment}}' msg
  assert_equal "$output" "made by a test"
}

@test "a bad --change is refused before anything is stored" {
  run_skiff 125 import --change 'RUN rm -rf /' "$(busybox_tar)" bad
  assert_skiff_error "RUN can't be applied"
  [ -z "$(ls "$SKIFF_ROOT/layers")" ]
}

@test "an invalid reference is refused before anything is stored" {
  run_skiff 125 import "$(busybox_tar)" 'Upper/Case'
  assert_skiff_error "must be lowercase"
  [ -z "$(ls "$SKIFF_ROOT/layers")" ]
}

@test "a missing file is a clear error" {
  run_skiff 125 import "$SKIFF_TEST_DIR/nope.tar" x
  assert_skiff_error "import \`$SKIFF_TEST_DIR/nope.tar\`: open: No such file or directory"
}

@test "a directory is a clear error" {
  run_skiff 125 import "$SKIFF_TEST_DIR" x
  assert_skiff_error "is a directory"
}

@test "a file that is not a tar leaves the store as it was" {
  head -c 100000 /dev/urandom > "$SKIFF_TEST_DIR/junk"
  run_skiff 125 import "$SKIFF_TEST_DIR/junk" junk
  assert_skiff_error "import"
  [ -z "$(ls -A "$SKIFF_ROOT/layers")" ]
  [ -z "$(ls -A "$SKIFF_ROOT/images")" ]
}

@test "a truncated gzip leaves the store as it was" {
  gzip -c "$(busybox_tar)" | head -c 300000 > "$SKIFF_TEST_DIR/cut.tar.gz"
  run_skiff 125 import "$SKIFF_TEST_DIR/cut.tar.gz" cut
  assert_skiff_error
  [ -z "$(ls -A "$SKIFF_ROOT/layers")" ]
  [ -z "$(ls -A "$SKIFF_ROOT/images")" ]
}

@test "xz and bzip2 archives are imported as docker imports them; a cut one leaves the store as it was" {
  run_skiff import "$(busybox_tar)" plain
  xz -c -T1 "$(busybox_tar)" > "$SKIFF_TEST_DIR/bb.tar.xz"
  bzip2 -c "$(busybox_tar)" > "$SKIFF_TEST_DIR/bb.tar.bz2"
  run_skiff import "$SKIFF_TEST_DIR/bb.tar.xz" x
  run_skiff import "$SKIFF_TEST_DIR/bb.tar.bz2" b
  # The same layer as the plain tar's: the diff ID is the inflated tar's.
  assert_equal "$(layer_dir x)" "$(layer_dir plain)"
  assert_equal "$(layer_dir b)" "$(layer_dir plain)"
  run_skiff run --rm x echo imported
  assert_equal "$output" "imported"
  "$SKIFF" rmi -f plain x b >/dev/null
  head -c 300000 "$SKIFF_TEST_DIR/bb.tar.xz" > "$SKIFF_TEST_DIR/cut.tar.xz"
  run_skiff 125 import "$SKIFF_TEST_DIR/cut.tar.xz" cut
  assert_skiff_error "xz: unexpected end of data"
  [ -z "$(ls -A "$SKIFF_ROOT/images")" ]
}

@test "the layer has the image's content and modes" {
  run_skiff import "$(busybox_tar)" bb
  dir=$(layer_dir bb)
  [ -x "$dir/bin/busybox" ]
  [ "$(readlink "$dir/bin/sh")" = busybox ]
  [ "$(stat -c %a "$dir/tmp")" = 1777 ]
  grep -q '^root:x:0:0' "$dir/etc/passwd"
}

@test "ownership is the image's, shifted into the subordinate range" {
  python3 "$BATS_TEST_DIRNAME/hostile_tar.py" owners "$SKIFF_TEST_DIR/owners.tar"
  run_skiff import "$SKIFF_TEST_DIR/owners.tar" owners
  dir=$(layer_dir owners)
  if [ "$(id -u)" -eq 0 ]; then
    [ "$(stat -c %u:%g "$dir/home/user-file")" = 1000:1000 ]
  elif has_subids; then
    start=$(grep "^$(id -un):" /etc/subuid | head -1 | cut -d: -f2)
    [ "$(stat -c %u "$dir/home/user-file")" = $((start + 999)) ]
    [ "$(stat -c %u "$dir/setuid")" = "$(id -u)" ]
  else
    # single-ID mapping: the file is the user's, and skiff said why
    [ "$(stat -c %u "$dir/home/user-file")" = "$(id -u)" ]
    assert_output_contains "warning:"
    assert_output_contains "/etc/subuid"
  fi
  [ "$(stat -c %a "$dir/setuid")" = 4755 ]
}
