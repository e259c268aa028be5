#!/usr/bin/env bats
# skiff images, image inspect: listing and formats as docker prints them.
load helpers

@test "images prints docker's table" {
  import_busybox busybox:latest
  run_skiff images
  [[ "${lines[0]}" =~ ^REPOSITORY\ +TAG\ +IMAGE\ ID\ +CREATED\ +SIZE$ ]]
  [[ "${lines[1]}" =~ ^busybox\ +latest\ +[0-9a-f]{12}\ +(Less\ than\ a\ second|[0-9]+\ seconds)\ ago\ +[0-9.]+MB$ ]]
}

@test "images -q prints short IDs, --no-trunc full ones" {
  id=$("$SKIFF" import "$(busybox_tar)" a)
  run_skiff images -q
  assert_equal "$output" "${id:7:12}"
  run_skiff images -q --no-trunc
  assert_equal "$output" "$id"
}

@test "an image with two names has two rows" {
  import_busybox one:1
  run_skiff tag one:1 two:2
  run_skiff images --format '{{.Repository}}:{{.Tag}}'
  [ "${#lines[@]}" -eq 2 ]
  assert_output_contains "one:1"
  assert_output_contains "two:2"
}

@test "an image without a name shows <none>" {
  run_skiff import "$(busybox_tar)"
  run_skiff images --format '{{.Repository}} {{.Tag}}'
  assert_equal "$output" "<none> <none>"
}

@test "images REPOSITORY filters by name and tag" {
  import_busybox app:1
  import_busybox app:2
  import_busybox other:1
  run_skiff images --format '{{.Repository}}:{{.Tag}}' app
  [ "${#lines[@]}" -eq 2 ]
  assert_output_not_contains other
  run_skiff images --format '{{.Repository}}:{{.Tag}}' app:2
  assert_equal "$output" "app:2"
}

@test "filters: dangling, reference glob, label" {
  import_busybox named
  "$SKIFF" import "$(busybox_tar)" >/dev/null
  "$SKIFF" import -c 'LABEL tier=web' "$(busybox_tar)" labelled >/dev/null
  run_skiff images --filter dangling=true --format '{{.Repository}}'
  assert_equal "$output" "<none>"
  run_skiff images --filter 'reference=lab*' --format '{{.Repository}}'
  assert_equal "$output" "labelled"
  run_skiff images --filter label=tier=web --format '{{.Repository}}'
  assert_equal "$output" "labelled"
  run_skiff 125 images --filter bogus=1
  assert_skiff_error "invalid filter"
}

@test "--digests adds a DIGEST column" {
  import_busybox d
  run_skiff images --digests
  [[ "${lines[0]}" =~ DIGEST ]]
  [[ "${lines[1]}" =~ \<none\> ]]
}

@test "--format json prints one JSON object per line" {
  import_busybox j
  run_skiff images --format json
  echo "$output" | python3 -c 'import json,sys; d=json.loads(sys.stdin.readline()); assert d["Repository"]=="j", d'
}

@test "image inspect prints docker's JSON shape" {
  import_busybox insp:v1
  run_skiff image inspect insp:v1
  echo "$output" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert isinstance(d, list) and len(d) == 1
i = d[0]
for k in ["Id", "RepoTags", "RepoDigests", "Created", "Config", "Architecture", "Os", "Size", "RootFS", "GraphDriver", "Metadata"]:
    assert k in i, k
assert i["RepoTags"] == ["insp:v1"], i["RepoTags"]
assert i["RootFS"]["Type"] == "layers" and len(i["RootFS"]["Layers"]) == 1
assert i["Os"] == "linux"
'
}

@test "inspect finds an image by short ID, full ID and docker.io name" {
  id=$("$SKIFF" import "$(busybox_tar)" busybox)
  for name in "${id:7:12}" "$id" "${id:7}" docker.io/library/busybox:latest busybox:latest; do
    run_skiff inspect -f '{{.Id}}' "$name"
    assert_equal "$output" "$id"
  done
}

@test "inspect of a missing image is an error, and the others still print" {
  import_busybox here
  run_skiff_split 125 image inspect here nothere
  assert_output_contains '"Id"'
  [[ "$stderr" == "skiff: No such image: nothere" ]]
}

@test "inspect --format with an unknown field is a clear error" {
  import_busybox f
  run_skiff 125 image inspect -f '{{.Nope}}' f
  assert_skiff_error "Nope"
}
