#!/usr/bin/env bats
# The command line itself: help, version, and errors in skiff's one shape.
load helpers

@test "skiff --help lists the commands" {
  run_skiff --help
  for cmd in import images image inspect tag rmi info version system; do
    assert_output_contains "$cmd"
  done
}

@test "skiff with no arguments prints help and exits 0" {
  run_skiff
  assert_output_contains "Usage"
}

@test "skiff COMMAND --help shows the command's options" {
  run_skiff images --help
  assert_output_contains "--format"
  assert_output_contains "--quiet"
  run_skiff image prune --help
  assert_output_contains "--all"
}

@test "skiff version prints the version, and --format takes a template" {
  run_skiff version
  assert_output_contains "Version:"
  run_skiff version --format '{{.Version}}'
  [[ "$output" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]
  run_skiff --version
  assert_output_contains "skiff version"
}

@test "an unknown command is refused with a suggestion, exit 125" {
  run_skiff 125 imgaes
  assert_skiff_error "unknown command \`imgaes\`"
  assert_output_contains "did you mean \`images\`"
}

@test "an unknown subcommand of image is refused with a suggestion" {
  run_skiff 125 image lss
  assert_skiff_error "did you mean \`ls\`"
}

@test "an unknown flag is refused with a suggestion, exit 125" {
  run_skiff 125 images --formt x
  assert_skiff_error "unknown flag: --formt"
  assert_output_contains "did you mean --format"
}

@test "a missing argument is a clear error, exit 125" {
  run_skiff 125 tag onlyone
  assert_skiff_error "target"
}

@test "a bad Go template is a clear error, exit 125" {
  run_skiff 125 version --format '{{.Version'
  assert_skiff_error "template"
}

@test "a relative --root is refused" {
  run_skiff 125 --root relative/dir images
  assert_skiff_error "must be an absolute path"
}

@test "the store is created private (0700) under SKIFF_ROOT" {
  run_skiff images
  [ "$(stat -c %a "$SKIFF_ROOT")" = 700 ]
  [ -d "$SKIFF_ROOT/layers" ] && [ -d "$SKIFF_ROOT/images" ] && [ -d "$SKIFF_ROOT/blobs/sha256" ]
}

@test "--root overrides SKIFF_ROOT" {
  other=$SKIFF_TEST_DIR/other
  run_skiff --root "$other" import "$(busybox_tar)" rooted
  run_skiff --root "$other" images -q
  [ -n "$output" ]
  run_skiff images -q
  [ -z "$output" ]
  "$SKIFF" --root "$other" system reset -f
}

@test "a runtime directory owned by someone else is refused" {
  [ "$(id -u)" -ne 0 ] || skip "root owns everything"
  run_skiff 125 --runroot / images
  assert_skiff_error "runtime directory"
}
