#!/usr/bin/env bats
# skiff run's security: capabilities, seccomp, no_new_privs, descriptors,
# the skiff binary out of the container's reach.
load helpers

per_test_setup() { import_busybox; }

cap_eff() { grep CapEff /proc/self/status | cut -f2; }

@test "docker's default capabilities; --cap-add, --cap-drop, ALL, --privileged" {
  run_skiff run --rm busybox grep CapEff /proc/self/status
  assert_output_contains "00000000a80425fb"
  run_skiff run --rm --cap-drop ALL busybox grep CapEff /proc/self/status
  assert_output_contains "0000000000000000"
  run_skiff run --rm --cap-drop ALL --cap-add net_raw busybox grep CapEff /proc/self/status
  assert_output_contains "0000000000002000"
  run_skiff run --rm --cap-drop chown busybox grep CapEff /proc/self/status
  assert_output_contains "00000000a80425fa"
  run_skiff run --rm --privileged busybox grep CapBnd /proc/self/status
  last=$(cat /proc/sys/kernel/cap_last_cap)
  assert_equal "$(echo "$output" | cut -f2)" "$(printf '%016x' $(( (1 << (last + 1)) - 1 )))"
  run_skiff 125 run --rm --cap-add CAP_NOPE busybox true
  assert_skiff_error "unknown capability"
}

@test "a non-root user gets no capabilities" {
  has_subids || skip "needs a subordinate ID range"
  run_skiff run --rm -u 1000 busybox grep CapEff /proc/self/status
  assert_output_contains "0000000000000000"
}

@test "seccomp: docker's profile by default, unconfined, or a profile file" {
  run_skiff run --rm busybox grep Seccomp: /proc/self/status
  assert_output_contains "2"
  run_skiff run --rm --security-opt seccomp=unconfined busybox grep Seccomp: /proc/self/status
  assert_output_contains "0"
  cat > "$SKIFF_TEST_DIR/profile.json" <<'JSON'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
JSON
  run_skiff 1 run --rm --security-opt "seccomp=$SKIFF_TEST_DIR/profile.json" busybox mkdir /newdir
  assert_output_contains "Operation not permitted"
  echo '{"defaultAction": "SCMP_ACT_NOPE"}' > "$SKIFF_TEST_DIR/bad.json"
  run_skiff 125 run --rm --security-opt "seccomp=$SKIFF_TEST_DIR/bad.json" busybox true
  assert_skiff_error "defaultAction"
}

@test "--security-opt no-new-privileges" {
  run_skiff run --rm busybox grep NoNewPrivs /proc/self/status
  assert_output_contains "0"
  run_skiff run --rm --security-opt no-new-privileges busybox grep NoNewPrivs /proc/self/status
  assert_output_contains "1"
  run_skiff 125 run --rm --security-opt bogus=1 busybox true
  assert_skiff_error "invalid --security-opt"
}

@test "no descriptor of skiff's (or of its caller's) leaks into the container" {
  run bash -c "exec 7>'$SKIFF_TEST_DIR/leak'; exec 9<'$SKIFF_TEST_DIR/leak'; timeout 20 '$SKIFF' run --rm busybox ls /proc/self/fd"
  [ "$status" -eq 0 ]
  assert_equal "$(echo "$output" | tr '\n' ' ')" "0 1 2 3 "
}

@test "the container's /proc/1/exe is skiff's sealed init, never the skiff binary" {
  before=$(sha256sum "$SKIFF" | cut -d' ' -f1)
  run_skiff run --rm --init busybox sh -c 'readlink /proc/1/exe; echo x >> /proc/1/exe && echo wrote; true'
  assert_output_contains "memfd:skiff-init"
  assert_output_not_contains "wrote"
  # A command that is a script run by /proc/self/exe gets the init, too.
  import_rootfs reexec --exec '/evil=#!/proc/self/exe'
  run_skiff 125 run --rm reexec /evil
  assert_equal "$(sha256sum "$SKIFF" | cut -d' ' -f1)" "$before"
}

@test "masked and read-only kernel paths; --privileged lifts them" {
  run_skiff run --rm busybox sh -c 'grep -E " /proc/(sys|irq|bus|fs|sysrq-trigger) " /proc/mounts | cut -d" " -f4 | cut -d, -f1 | sort -u; ls /sys/firmware | wc -l'
  assert_equal "$output" "$(printf 'ro\n0')"
  run_skiff run --rm --privileged busybox sh -c 'grep -c " /proc/sys " /proc/mounts || true'
  assert_equal "$output" 0
}
