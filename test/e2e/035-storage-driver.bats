#!/usr/bin/env bats
# Root filesystem drivers: native overlay by default here, fuse-overlayfs on request.
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
  run_skiff 125 --storage-driver vfs run --rm busybox true
  assert_skiff_error "not implemented yet"
}
