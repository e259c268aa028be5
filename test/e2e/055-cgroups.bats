#!/usr/bin/env bats
# Containers' own cgroups (linux/cgroup.h): where the user's cgroup v2 folder
# is delegated, each container runs in <base>/skiff-<ID>, exec's processes
# join it, pause freezes it, and it goes when the container stops; limits are
# written there where the controllers are delegated. Where nothing is
# delegated, pause and limits are refused with why and how.
#
# scripts/test runs the suite once (as skiff-norange) inside a cgroup
# delegated the way systemd delegates one, so both halves run there.
load helpers

per_test_setup() { import_busybox; }
per_test_teardown() { remove_all_containers; }

monitor_pid() { pgrep -u "$(id -u)" -f "__monitor .*$1" | head -1; }

need_delegation() {
  base=$(delegated_cgroup_base) || skip "this shell's cgroup is not delegated to $(id -un)"
}

# need_controllers C...: the base offers every controller named.
need_controllers() {
  need_delegation
  for c in "$@"; do
    grep -qw "$c" "$base/cgroup.controllers" || skip "no $c controller in the delegated cgroup (cgroup v1 hybrid host?)"
  done
}

@test "without a delegated cgroup, pause refuses, says why, and changes nothing" {
  if delegated_cgroup_base >/dev/null; then skip "this shell's cgroup is delegated"; fi
  run_skiff info --format '{{.cgroups.containerCgroups}}'
  assert_equal "$output" "<nil>"
  run_skiff run -d --name pz busybox sleep 60
  run_skiff 125 pause pz
  assert_skiff_error "Cannot pause container: pz: "
  assert_output_contains "cgroup"
  assert_output_contains "Delegate=yes"
  assert_output_contains "systemd.unified_cgroup_hierarchy=1"
  run_skiff inspect -f '{{.State.Status}} {{.State.Paused}}' pz
  assert_equal "$output" "running false"
  # The processes were not stopped.
  pid=$("$SKIFF" inspect -f '{{.State.Pid}}' pz)
  [ "$(awk '{print $3}' "/proc/$pid/stat")" != T ]
  run_skiff 125 unpause pz
  assert_skiff_error "Container pz is not paused"
  run_skiff 125 container pause pz nosuch
  assert_output_contains "No such container: nosuch"
  run_skiff create --name cold busybox true
  run_skiff 125 pause cold
  assert_skiff_error "container cold is not running"
}

@test "a detached container runs in a cgroup of its own, exec joins it, and it goes when the container stops" {
  need_delegation
  run_skiff info --format '{{.cgroups.containerCgroups}}'
  assert_equal "$output" "$base"
  id=$("$SKIFF" run -d --name own busybox sleep 60)
  dir=$base/skiff-$id
  [ -d "$dir" ]
  pid=$("$SKIFF" inspect -f '{{.State.Pid}}' own)
  assert_equal "$(cat "$dir/cgroup.procs")" "$pid"
  # The container's cgroup namespace is rooted there.
  run_skiff exec own grep ^0:: /proc/self/cgroup
  assert_equal "$output" "0::/"
  # An exec'd process is in it too (and leaves it when it ends).
  run_skiff exec -d own sleep 30
  [ "$(wc -l <"$dir/cgroup.procs")" -eq 2 ]
  # skiff itself is not: the monitor stays outside what it watches.
  ! grep -qx "$(monitor_pid "$id")" "$dir/cgroup.procs"
  run_skiff stop -t 0 own
  [ ! -d "$dir" ]
  # start makes it again.
  run_skiff start own
  [ -d "$dir" ]
  run_skiff rm -f own
  [ ! -d "$dir" ]
}

@test "a foreground container runs in a cgroup of its own, removed when it ends" {
  need_delegation
  before=$(find "$base" -maxdepth 1 -name 'skiff-*' | sort)
  run_skiff run --rm busybox grep ^0:: /proc/self/cgroup
  assert_equal "$output" "0::/"
  run_skiff 3 run --name fg busybox sh -c 'grep ^0:: /proc/self/cgroup; exit 3'
  assert_equal "$output" "0::/"
  id=$("$SKIFF" inspect -f '{{.Id}}' fg)
  run_skiff inspect -f '{{.State.ExitCode}}' fg
  assert_equal "$output" "3"
  [ ! -d "$base/skiff-$id" ]
  assert_equal "$(find "$base" -maxdepth 1 -name 'skiff-*' | sort)" "$before"
}

@test "pause freezes the container's cgroup and unpause thaws it" {
  need_delegation
  id=$("$SKIFF" run -d --name frozen busybox sh -c 'i=0; while :; do i=$((i + 1)); echo $i > /tmp/tick; sleep 0.05; done')
  run_skiff pause frozen
  run_skiff inspect -f '{{.State.Status}} {{.State.Paused}}' frozen
  assert_equal "$output" "paused true"
  grep -qx "frozen 1" "$base/skiff-$id/cgroup.events"
  # Frozen: the loop makes no progress (read from the host: an exec would
  # join the frozen cgroup, so skiff refuses it).
  tick=/proc/$("$SKIFF" inspect -f '{{.State.Pid}}' frozen)/root/tmp/tick
  before=$(cat "$tick")
  sleep 0.3
  assert_equal "$(cat "$tick")" "$before"
  run_skiff 125 exec frozen true
  assert_output_contains "paused"
  run_skiff ps --format '{{.Names}} {{.Status}}'
  assert_output_contains "(Paused)"
  run_skiff unpause frozen
  grep -qx "frozen 0" "$base/skiff-$id/cgroup.events"
  sleep 0.3
  [ "$(cat "$tick")" != "$before" ]
  run_skiff inspect -f '{{.State.Status}}' frozen
  assert_equal "$output" "running"
}

@test "a cgroup left by a killed monitor is reused by start and removed by rm" {
  need_delegation
  id=$("$SKIFF" run -d --name orphan busybox sleep 60)
  kill -9 "$(monitor_pid "$id")"
  wait_for_inspect orphan '{{.State.Status}}' exited
  # The init died with its monitor, so the cgroup empties (it may remain).
  for _ in $(seq 100); do [ ! -s "$base/skiff-$id/cgroup.procs" ] && break; sleep 0.05; done
  run_skiff start orphan
  assert_equal "$(cat "$base/skiff-$id/cgroup.procs")" "$("$SKIFF" inspect -f '{{.State.Pid}}' orphan)"
  kill -9 "$(monitor_pid "$id")"
  wait_for_inspect orphan '{{.State.Status}}' exited
  run_skiff rm orphan
  [ ! -d "$base/skiff-$id" ]
}

@test "limits whose controllers this delegated cgroup lacks are refused, naming them" {
  need_delegation
  before=$(find "$base" -maxdepth 1 -name 'skiff-*' | sort)
  missing=()
  for c in memory cpu pids; do grep -qw "$c" "$base/cgroup.controllers" || missing+=("$c"); done
  [ ${#missing[@]} -gt 0 ] || skip "every controller is delegated here"
  for c in "${missing[@]}"; do
    case $c in memory) flag="--memory 64m" ;; cpu) flag="--cpus 0.5" ;; pids) flag="--pids-limit 20" ;; esac
    # shellcheck disable=SC2086
    run_skiff 125 run --rm $flag busybox echo ran
    assert_skiff_error "${flag%% *} can't be enforced on this host"
    assert_output_contains "$c"
    assert_output_not_contains "ran"
  done
  assert_equal "$(find "$base" -maxdepth 1 -name 'skiff-*' | sort)" "$before"
  run_skiff ps -aq
  assert_equal "$output" ""
}

@test "--pids-limit caps the container's processes (pids.max), exec's included" {
  need_controllers pids
  id=$("$SKIFF" run -d --name capped --pids-limit 8 busybox sleep 60)
  assert_equal "$(cat "$base/skiff-$id/pids.max")" "8"
  # A fork loop stops at the limit.
  run_skiff exec capped sh -c 'for i in $(seq 20); do sleep 30 & done 2>/dev/null; sleep 0.2; ls /proc | grep -c "^[0-9]"'
  [ "$(cat "$base/skiff-$id/pids.current")" -le 8 ]
}

@test "--memory and --memory-swap are written as memory.max and memory.swap.max" {
  need_controllers memory
  id=$("$SKIFF" run -d --name mem --memory 64m --memory-swap 96m busybox sleep 60)
  assert_equal "$(cat "$base/skiff-$id/memory.max")" "67108864"
  assert_equal "$(cat "$base/skiff-$id/memory.swap.max")" "33554432"
  # A process that outgrows it is killed by the kernel (exit 137).
  run_skiff 137 run --rm --memory 16m --memory-swap 16m busybox sh -c 'x=$(head -c 64000000 /dev/zero | tr "\0" a); echo ${#x}'
}

@test "--cpus and --cpu-shares are written as cpu.max and cpu.weight" {
  need_controllers cpu
  id=$("$SKIFF" run -d --name cpu --cpus 0.5 --cpu-shares 512 busybox sleep 60)
  assert_equal "$(cat "$base/skiff-$id/cpu.max")" "50000 100000"
  assert_equal "$(cat "$base/skiff-$id/cpu.weight")" "20"
}
