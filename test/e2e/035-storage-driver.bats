#!/usr/bin/env bats
# Root filesystem drivers: native overlay by default here, fuse-overlayfs and
# vfs (a copy) on request.
load helpers

per_test_setup() { import_busybox; }

@test "the first container records the driver that works: native overlay here" {
  run_skiff run --rm busybox true
  assert_equal "$(cat "$SKIFF_ROOT/storage-driver")" native
  run_skiff run --rm busybox sh -c 'grep " / " /proc/mounts | cut -d" " -f3'
  assert_equal "$output" overlay
}

@test "--storage-driver fuse-overlayfs mounts the root with fuse-overlayfs and keeps the upper layer" {
  command -v fuse-overlayfs >/dev/null || skip "fuse-overlayfs is not installed"
  [ -w /dev/fuse ] || skip "/dev/fuse is not usable"
  run_skiff --storage-driver fuse-overlayfs run --name fused busybox sh -c 'grep " / " /proc/mounts | cut -d" " -f3; echo kept > /kept'
  assert_equal "$output" fuse.fuse-overlayfs
  run_skiff start -a fused
  run_skiff rm fused
  SKIFF_STORAGE_DRIVER=fuse-overlayfs run_skiff run --rm busybox sh -c 'cat /kept 2>/dev/null || echo fresh'
  assert_equal "$output" fresh
}

@test "an unknown or missing driver is a clear error" {
  run_skiff 125 --storage-driver btrfs run --rm busybox true
  assert_skiff_error "unknown storage driver"
}

@test "--storage-driver vfs runs on a copy of the image, kept until rm" {
  run_skiff --storage-driver vfs run --name copied busybox sh -c \
    'grep " / " /proc/mounts | cut -d" " -f3; ls /bin/busybox; rm /bin/ls; echo kept > /kept'
  [ "${lines[0]}" != overlay ]
  assert_equal "${lines[1]}" /bin/busybox
  dir=$("$SKIFF" inspect -f '{{.GraphDriver.Data.Dir}}' copied)
  assert_equal "$("$SKIFF" inspect -f '{{.GraphDriver.Name}} {{.Driver}}' copied)" "vfs vfs"
  [ -f "$dir/kept" ]
  run_skiff start -a copied  # the second start reuses the copy: /bin/ls stays deleted
  run_skiff --storage-driver vfs run --rm busybox sh -c 'cat /kept 2>/dev/null || echo fresh; ls /bin/ls'
  assert_equal "$output" "$(printf 'fresh\n/bin/ls')"
  run_skiff ps -a -s --format '{{.Names}} {{.Size}}'
  [[ "$output" == "copied "* ]]
  run_skiff rm copied
  [ ! -e "$dir" ]
}

@test "a vfs copy owned by the range is removed, and the image's owners are kept" {
  has_subids || skip "needs a subuid range"
  run_skiff --storage-driver vfs run --rm busybox sh -c 'chown 123:45 /bin/busybox; stat -c "%u:%g" /bin/busybox /etc/passwd'
  assert_equal "$output" "$(printf '123:45\n0:0')"
}
