#!/usr/bin/env bats
# skiff tag, rmi, image prune.
load helpers

# A container record as the store keeps it (containers/<id>/config.json):
# `skiff run` writes these; until it lands the test writes one by hand.
fake_container() {
  local image_id=$1 name=$2 id
  id=$(head -c 32 /dev/urandom | sha256sum | cut -c1-64)
  mkdir -p "$SKIFF_ROOT/containers/$id"
  printf '{"id":"%s","name":"%s","image_id":"%s"}\n' "$id" "$name" "$image_id" > "$SKIFF_ROOT/containers/$id/config.json"
  echo "$id"
}

@test "tag gives a second name; a name moves from one image to another" {
  id1=$("$SKIFF" import "$(busybox_tar)" first)
  id2=$("$SKIFF" import "$(busybox_tar)" second)
  run_skiff tag first shared:1
  [ "$("$SKIFF" inspect -f '{{.Id}}' shared:1)" = "$id1" ]
  run_skiff tag second shared:1
  [ "$("$SKIFF" inspect -f '{{.Id}}' shared:1)" = "$id2" ]
  run_skiff image inspect -f '{{json .RepoTags}}' "$id1"
  assert_equal "$output" '["first:latest"]'
}

@test "tag with a bad target or a missing source is a clear error" {
  import_busybox src
  run_skiff 125 tag src 'Bad:Name'
  assert_skiff_error "invalid reference"
  run_skiff 125 tag nosuch dst
  assert_skiff_error "No such image: nosuch"
  run_skiff 125 tag src "dst@sha256:$(printf '%064d' 0)"
  assert_skiff_error "digest"
}

@test "rmi of one of two names only untags" {
  import_busybox a:1
  run_skiff tag a:1 b:1
  run_skiff rmi a:1
  assert_equal "$output" "Untagged: a:1"
  run_skiff images --format '{{.Repository}}'
  assert_equal "$output" "b"
}

@test "rmi of the last name deletes the image and its layer" {
  id=$("$SKIFF" import "$(busybox_tar)" gone)
  run_skiff rmi gone
  assert_output_contains "Untagged: gone:latest"
  assert_output_contains "Deleted: $id"
  [ -z "$(ls -A "$SKIFF_ROOT/layers")" ]
  [ -z "$(ls -A "$SKIFF_ROOT/images")" ]
  [ -z "$(ls -A "$SKIFF_ROOT/blobs/sha256")" ]
}

@test "a layer shared with another image stays" {
  import_busybox keep
  import_busybox drop
  run_skiff rmi -f drop
  [ "$(ls "$SKIFF_ROOT/layers" | wc -l)" -eq 1 ]
  run_skiff image inspect keep
}

@test "rmi by ID of an image with several names needs -f" {
  id=$("$SKIFF" import "$(busybox_tar)" n1)
  run_skiff tag n1 n2
  run_skiff 125 rmi "${id:7:12}"
  assert_skiff_error "referenced in multiple repositories"
  run_skiff rmi -f "${id:7:12}"
  assert_output_contains "Deleted: $id"
}

@test "rmi refuses an image a container uses, naming the container" {
  id=$("$SKIFF" import "$(busybox_tar)" used)
  cid=$(fake_container "$id" web)
  run_skiff 125 rmi used
  assert_skiff_error "being used by container ${cid:0:12} (web)"
  run_skiff image inspect used
  # -f only untags: the container keeps its image
  run_skiff rmi -f used
  assert_output_contains "Untagged: used:latest"
  assert_output_not_contains "Deleted"
  run_skiff image inspect "$id"
}

@test "rmi of a missing image fails but goes on with the others" {
  import_busybox real
  run_skiff 125 rmi missing real
  assert_output_contains "skiff: No such image: missing"
  assert_output_contains "Untagged: real:latest"
}

@test "image prune removes dangling images only; -a removes unused ones" {
  import_busybox named
  "$SKIFF" import -c 'ENV X=1' "$(busybox_tar)" >/dev/null
  run_skiff image prune -f
  assert_output_contains "deleted: sha256:"
  assert_output_contains "Total reclaimed space:"
  run_skiff images --format '{{.Repository}}'
  assert_equal "$output" named
  id=$("$SKIFF" import "$(busybox_tar)" inuse)
  fake_container "$id" c >/dev/null
  run_skiff image prune -a -f
  run_skiff images --format '{{.Repository}}'
  assert_equal "$output" inuse
}

@test "image prune with nothing to do" {
  run_skiff image prune
  assert_equal "$output" "Total reclaimed space: 0B"
}

@test "image prune --filter until keeps newer images" {
  "$SKIFF" import "$(busybox_tar)" >/dev/null
  run_skiff image prune --filter until=1h
  assert_equal "$output" "Total reclaimed space: 0B"
  run_skiff 125 image prune --filter until=someday
  assert_skiff_error "until"
}
