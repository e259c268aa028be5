#!/usr/bin/env bats
# skiff info: what this host offers this user, as text, JSON or a template.
load helpers

# json_field PATH...: prints info's JSON value at the key path (from $output).
json_field() {
  echo "$output" | python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1:]:
    v = v[int(k)] if isinstance(v, list) else v[k]
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)
' "$@"
}

@test "info --format json is valid JSON naming a rootfs driver" {
  run_skiff_split info --format json
  echo "$output" | python3 -m json.tool >/dev/null
  driver=$(json_field rootfsDriver)
  [[ "$driver" == native || "$driver" == fuse-overlayfs || "$driver" == vfs ]]
  assert_equal "$(json_field store graphDriverName)" "$driver"
  assert_equal "$(json_field rootfsDrivers vfs works)" "true"
}

@test "info --format json reports the kernel and the user" {
  run_skiff_split info --format json
  assert_equal "$(json_field host kernel)" "$(uname -r)"
  assert_equal "$(json_field idMappings uid)" "$(id -u)"
  assert_equal "$(json_field host rootless)" "$([ "$(id -u)" -eq 0 ] && echo false || echo true)"
}

@test "info --format with a template prints the store root" {
  run_skiff_split info --format '{{.store.root}}'
  assert_equal "$output" "$SKIFF_ROOT"
}

@test "info with a broken template fails with exit 125" {
  run_skiff_split 125 info --format '{{.store.root'
  [[ "$stderr" == "skiff: "* ]]
}

@test "info prints readable sections by default" {
  run_skiff_split info
  for section in host idMappings rootfsDriver rootfsDrivers cgroups network store version; do
    [[ "$output" == *$'\n'"$section:"* || "$output" == "$section:"* ]] || {
      echo "missing section $section in: $output"
      return 1
    }
  done
  assert_output_contains "  kernel: $(uname -r)"
  assert_output_contains "  root: $SKIFF_ROOT"
}

@test "system info is the same command" {
  run_skiff_split system info --format '{{.store.runroot}}'
  assert_equal "$output" "$SKIFF_RUNROOT"
}

@test "info shows the subordinate ID range, or warns when there is none" {
  [ "$(id -u)" -ne 0 ] || skip "root uses the identity mapping"
  run_skiff_split info --format json
  line=$(grep "^$(id -un):" /etc/subuid 2>/dev/null | head -1 || true)
  if [ -n "$line" ] && has_subids; then
    start=$(echo "$line" | cut -d: -f2)
    count=$(echo "$line" | cut -d: -f3)
    assert_equal "$(json_field idMappings subuids 0 start)" "$start"
    assert_equal "$(json_field idMappings uidmap 1 hostId)" "$start"
    assert_equal "$(json_field idMappings uidmap 1 size)" "$count"
    run_skiff_split info
    assert_output_contains "hostId: $start"
    assert_output_not_contains "no subordinate ID range"
  else
    assert_equal "$(json_field idMappings uidmap)" '[{"containerId": 0, "hostId": '"$(id -u)"', "size": 1}]'
    run_skiff_split info
    assert_output_contains "warning: no subordinate ID range for user \`$(id -un)\`"
    assert_output_contains "lose that ownership"
  fi
}

@test "native overlay works for this user where the machine allows it" {
  [ "${SKIFF_EXPECT_NATIVE_OVERLAY:-0}" = 1 ] || skip "SKIFF_EXPECT_NATIVE_OVERLAY is not set"
  run_skiff_split info --format json
  assert_equal "$(json_field rootfsDrivers native works)" "true"
  assert_equal "$(json_field rootfsDriver)" "native"
  assert_equal "$(json_field host userNamespaces works)" "true"
}

@test "info leaves no probe folders behind" {
  run_skiff_split info --format json
  leftovers=$(find "$SKIFF_ROOT" "$SKIFF_RUNROOT" -mindepth 1 -name '.tmp-*')
  assert_equal "$leftovers" ""
}

@test "info counts the store's images and layers" {
  import_busybox
  run_skiff_split info --format '{{.store.images.count}} {{.store.layers.count}}'
  assert_equal "$output" "1 1"
  run_skiff_split info --format json
  [ "$(json_field store layers bytes)" -gt 0 ]
}

@test "info still reports the host when the store can't be opened" {
  touch "$SKIFF_TEST_DIR/not-a-folder"
  run_skiff_split --root "$SKIFF_TEST_DIR/not-a-folder" info --format json
  assert_equal "$(json_field store root)" "$SKIFF_TEST_DIR/not-a-folder"
  [[ "$(json_field store error)" == *"not-a-folder"* ]]
  assert_equal "$(json_field rootfsDrivers native works)" "false"
  assert_equal "$(json_field host kernel)" "$(uname -r)"
}
