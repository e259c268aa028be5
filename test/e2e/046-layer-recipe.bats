#!/usr/bin/env bats
# Tar recipes (image/tar_recipe.h): import and pull keep, beside each layer,
# what rebuilding its tar byte for byte takes, small, and a stash of the
# files a later entry of the same tar replaced. (That the rebuilt tar is the
# original is shown by the unit tests and by `save`.)
load helpers

per_test_teardown() { stop_registry; }

# The folder of the only layer in the store.
only_layer() {
  local dirs
  dirs=$(find "$SKIFF_ROOT/layers" -mindepth 1 -maxdepth 1 -regextype egrep -regex '.*/[0-9a-f]{64}')
  assert_equal "$(echo "$dirs" | wc -l)" 1 >&2
  echo "$dirs"
}

@test "import keeps a tar recipe beside the layer, a small part of the tar" {
  import_busybox
  layer=$(only_layer)
  [ -f "$layer/tar-recipe" ]
  [ ! -e "$layer/stash" ]  # nothing in busybox's tar was replaced
  recipe=$(stat -c %s "$layer/tar-recipe")
  tar=$(stat -c %s "$(busybox_tar)")
  echo "recipe $recipe bytes for a tar of $tar"
  ((recipe * 20 < tar))
  # Files only the user namespace may read are fine: the recipe is the user's.
  [ -r "$layer/tar-recipe" ]
}

@test "a tar that names a file twice keeps the first copy in the stash" {
  python3 - "$SKIFF_TEST_DIR/dup.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    for name, data in (("dup", b"first\n"), ("other", b"o\n"), ("dup", b"second\n"), ("gone", b"g\n"), (".wh.gone", b"")):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
PY
  run_skiff import "$SKIFF_TEST_DIR/dup.tar" dup
  layer=$(only_layer)
  [ -f "$layer/tar-recipe" ]
  assert_equal "$(cat "$layer/stash/0")" first   # the first `dup`, body 0
  assert_equal "$(cat "$layer/stash/3")" g       # `gone`, deleted by its whiteout
  assert_equal "$(ls "$layer/stash" | sort | tr '\n' ' ')" "0 3 "
  # The layer itself holds the last copy, as tar -x would leave it.
  assert_equal "$(cat "$layer/diff/dup")" second
}

@test "a hostile layer's import keeps a recipe, and removing the image removes it" {
  python3 "$BATS_TEST_DIRNAME/hostile_tar.py" symlink-relative "$SKIFF_TEST_DIR/h.tar" "$SKIFF_TEST_DIR/outside"
  run "$SKIFF" import "$SKIFF_TEST_DIR/h.tar" hostile
  [ "$status" -eq 0 ] || skip "the import was refused: $output"
  layer=$(only_layer)
  [ -f "$layer/tar-recipe" ]
  run_skiff rmi hostile
  [ ! -e "$layer" ]
}

@test "pull keeps a recipe for each layer, and export hides what a layer deleted" {
  command -v docker-registry >/dev/null || skip "docker-registry is not installed"
  command -v skopeo >/dev/null || skip "skopeo is not installed"
  start_registry
  push_image layered:1 --second-layer --compression zstd
  run_skiff pull "$REGISTRY/layered:1"
  count=0
  for layer in "$SKIFF_ROOT"/layers/*; do
    [[ $(basename "$layer") =~ ^[0-9a-f]{64}$ ]] || continue
    [ -f "$layer/tar-recipe" ] || { echo "no recipe in $layer"; return 1; }
    count=$((count + 1))
  done
  assert_equal "$count" 2
  run_skiff create --name two "$REGISTRY/layered:1" true
  "$SKIFF" export two >"$SKIFF_TEST_DIR/two.tar"
  names=$(tar -tf "$SKIFF_TEST_DIR/two.tar")
  grep -qx hello.txt <<<"$names"
  assert_equal "$(grep -cx 'bin/ls' <<<"$names" || true)" 0
}
