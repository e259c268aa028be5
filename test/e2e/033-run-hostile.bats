#!/usr/bin/env bats
# Hostile images: symlinks where skiff mounts things must not make skiff
# touch a host file.
load helpers

per_test_setup() {
  import_busybox
  OUTSIDE=$SKIFF_TEST_DIR/outside
  mkdir -p "$OUTSIDE"
  echo secret > "$OUTSIDE/secret"
  echo victim > "$OUTSIDE/victim"
}

outside_untouched() {
  [ "$(ls -A "$OUTSIDE" | tr '\n' ' ')" = "secret victim " ] || { echo "outside has: $(ls -A "$OUTSIDE")"; return 1; }
  [ "$(cat "$OUTSIDE/secret")" = secret ] && [ "$(cat "$OUTSIDE/victim")" = victim ]
  ! grep -q " $OUTSIDE" /proc/self/mountinfo
}

@test "/etc/hosts, /etc/hostname, /etc/resolv.conf as symlinks to host files" {
  import_rootfs evil --symlink "etc/hosts=$OUTSIDE/victim" --symlink "etc/hostname=../../../../../$OUTSIDE/secret"
  run_skiff run --rm evil sh -c 'cat /etc/hosts | head -1; echo changed > /etc/hosts 2>/dev/null; true'
  assert_output_contains "localhost"
  outside_untouched
}

@test "a mount target through /proc's magic links is refused" {
  import_rootfs evil --symlink "etc/resolv.conf=/proc/self/root$OUTSIDE/victim"
  run_skiff 125 run --rm evil true
  assert_skiff_error "etc/resolv.conf"
  outside_untouched
}

@test "/proc, /dev and /sys as symlinks out of the root" {
  import_rootfs evil --symlink "proc=$OUTSIDE/p" --symlink "dev=$OUTSIDE/../outside/d" --symlink "sys=../../../$OUTSIDE/s"
  run_skiff run --rm evil sh -c 'ls /proc/self/ >/dev/null && echo proc-ok'
  assert_output_contains "proc-ok"
  outside_untouched
}

@test "a volume target that is a symlink out of the root" {
  mkdir "$SKIFF_TEST_DIR/vol"
  echo volfile > "$SKIFF_TEST_DIR/vol/f"
  import_rootfs evil --symlink "data=$OUTSIDE" --symlink "rel=../../../../$OUTSIDE/victim"
  run_skiff run --rm -v "$SKIFF_TEST_DIR/vol:/data" --tmpfs /rel evil sh -c 'cat /data/f'
  assert_equal "$output" volfile
  outside_untouched
}

@test "a working directory that is a symlink out of the root" {
  import_rootfs evil --symlink "work=$OUTSIDE"
  run_skiff run --rm -w /work evil sh -c 'pwd; touch made-here'
  outside_untouched
}

@test "an image whose /etc/passwd is a symlink to the host's" {
  import_rootfs evil --symlink "etc/passwd=/proc/1/root/etc/passwd" --symlink "etc/group=$OUTSIDE/secret"
  run_skiff 125 run --rm -u root evil true
  assert_skiff_error "unable to find user root"
  outside_untouched
}
