#!/usr/bin/env bats
# skiff search REGISTRY/TERM against Debian's docker-registry: its
# /v2/_catalog, page by page. (Docker Hub's search API is out of reach here;
# test/unit/registry_auth_test.cc covers its answer.)
load helpers

setup_file() {
  start_registry
  push_image busybox:latest
  push_image alpha/busybox:1
  push_image tools/busy-box:1
  push_image other:1
  # 150 more repositories, made the cheap way: docker-registry lists every
  # folder of its repositories tree that looks like one. More than a page.
  local repos=$REGISTRY_DATA/docker/registry/v2/repositories i
  for i in $(seq -w 1 150); do cp -r "$repos/other" "$repos/bulk$i"; done
}

teardown_file() { stop_registry; }

@test "search lists the repositories whose name holds the term, as podman's columns" {
  run_skiff search "$REGISTRY/busy"
  [[ ${lines[0]} =~ ^NAME\ {3,}DESCRIPTION$ ]] || { echo "header: ${lines[0]}"; return 1; }
  assert_equal "$(printf '%s\n' "${lines[@]:1}" | sed 's/ *$//')" "$REGISTRY/alpha/busybox
$REGISTRY/busybox
$REGISTRY/tools/busy-box"
  run_skiff search "$REGISTRY/busybox"
  assert_equal "${#lines[@]}" 3
  assert_output_not_contains "busy-box"
  assert_output_not_contains "other"
}

@test "--limit keeps the first N matches" {
  run_skiff search --limit 1 --format '{{.Name}}' "$REGISTRY/busy"
  assert_equal "$output" "$REGISTRY/alpha/busybox"
  run_skiff 125 search --limit 0 "$REGISTRY/busy"
  assert_skiff_error "limit 0"
}

@test "the catalog is read across pages" {
  run_skiff search --limit 200 --format '{{.Name}}' "$REGISTRY/bulk"
  assert_equal "${#lines[@]}" 150
  assert_equal "${lines[0]}" "$REGISTRY/bulk001"
  assert_equal "${lines[149]}" "$REGISTRY/bulk150"
  # The default limit is 25, as podman's.
  run_skiff search --format '{{.Name}}' "$REGISTRY/bulk"
  assert_equal "${#lines[@]}" 25
  # An empty term lists everything.
  run_skiff search --limit 1000 --format '{{.Name}}' "$REGISTRY/"
  assert_equal "${#lines[@]}" 154
}

@test "--format: templates, table and json" {
  run_skiff search --format '{{.Name}}|{{.Description}}|{{.StarCount}}|{{.IsOfficial}}' "$REGISTRY/other"
  assert_equal "$output" "$REGISTRY/other||0|"
  run_skiff search --format 'table {{.Name}}' "$REGISTRY/tools"
  assert_equal "$output" "NAME
$REGISTRY/tools/busy-box"
  run_skiff search --format json "$REGISTRY/tools"
  assert_equal "$output" "{\"Name\":\"$REGISTRY/tools/busy-box\",\"Description\":\"\",\"StarCount\":\"0\",\"IsOfficial\":\"\",\"IsAutomated\":\"\"}"
  run_skiff 125 search --format '{{.Nope}}' "$REGISTRY/tools"
  assert_skiff_error "can't evaluate field Nope"
}

@test "no match: the header alone, or nothing with a template" {
  run_skiff search "$REGISTRY/nothing-like-this"
  # tabwriter's narrowest column: 10 wide.
  assert_equal "$output" "NAME      DESCRIPTION"
  run_skiff search --format '{{.Name}}' "$REGISTRY/nothing-like-this"
  assert_equal "$output" ""
}

@test "filters: catalog entries have no stars and no official mark" {
  run_skiff search --filter stars=0 --format '{{.Name}}' "$REGISTRY/other"
  assert_equal "$output" "$REGISTRY/other"
  run_skiff search --filter is-official=true --format '{{.Name}}' "$REGISTRY/other"
  assert_equal "$output" ""
  run_skiff 125 search --filter color=blue "$REGISTRY/other"
  assert_equal "$output" "skiff: search \`$REGISTRY/other\`: invalid filter 'color'"
}

@test "a registry that isn't there is a clear error" {
  run_skiff 125 search 127.0.0.1:1/busybox
  assert_skiff_error "search \`127.0.0.1:1/busybox\`: GET 127.0.0.1:1/v2/_catalog?n=100"
  assert_output_contains "127.0.0.1 port 1"
}
