#!/usr/bin/env bats
# skiff create and skiff start: the two halves of run.
load helpers

per_test_setup() { import_busybox; }

@test "create prints the ID; start -a runs the command and passes its exit code" {
  run_skiff create --name job -e A=1 busybox sh -c 'echo $A; exit 5'
  [[ $output =~ ^[0-9a-f]{64}$ ]]
  id=$output
  run_skiff inspect -f '{{.State.Status}}' job
  assert_equal "$output" created
  run_skiff 5 start -a job
  assert_equal "$output" 1
  run_skiff inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$id"
  assert_equal "$output" "exited 5"
}

@test "start -a keeps the container's upper layer between starts" {
  run_skiff create --name keep busybox sh -c 'cat /count 2>/dev/null; echo x >> /count'
  run_skiff start -a keep
  assert_equal "$output" ""
  run_skiff start -a keep
  assert_equal "$output" x
}

@test "start without -a runs the container in the background and prints its name" {
  run_skiff create --name bg busybox sleep 30
  run_skiff start bg
  assert_equal "$output" bg
  run_skiff inspect -f '{{.State.Status}} {{.State.Running}}' bg
  assert_equal "$output" "running true"
  pid=$("$SKIFF" inspect -f '{{.State.Pid}}' bg)
  [ -d "/proc/$pid" ]
  run_skiff rm -f bg
  for _ in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.05; done
  [ ! -d "/proc/$pid" ]
}

@test "start of a container whose command is missing fails with 125 and records why" {
  run_skiff create --name bad busybox no-such-command
  run_skiff 125 start bad
  assert_output_contains 'executable file not found'
  run_skiff 125 start nosuchcontainer
  assert_skiff_error "No such container: nosuchcontainer"
}

@test "create checks its options before writing anything" {
  run_skiff 125 create --network bogus busybox true
  run_skiff 125 create -v ./relative:/x busybox true
  run_skiff 125 create no-such-image true
  [ -z "$(ls "$SKIFF_ROOT/containers" 2>/dev/null)" ]
}
