#!/usr/bin/env bats
# Detached containers: run -d and the monitor that watches them, stop, kill,
# wait, restart, rename, attach, restart policies, and what happens when the
# monitor or the container is killed.
load helpers

per_test_setup() { import_busybox; }

# Every container of the test is gone, with its monitor, before the
# teardown looks for leftover processes.
per_test_teardown() { remove_all_containers; }

# The host PID of a container's monitor (the skiff __monitor process).
monitor_pid() { pgrep -u "$(id -u)" -f "__monitor .*$1" | head -1; }

# wait_for_status CONTAINER STATUS: polls inspect for up to 10 s.
wait_for_status() { wait_for_inspect "$1" '{{.State.Status}}' "$2"; }

@test "run -d prints the ID, returns at once, and the container runs under its own monitor" {
  start=$(date +%s%N)
  run_skiff run -d --name bg busybox sleep 60
  elapsed_ms=$((($(date +%s%N) - start) / 1000000))
  [[ $output =~ ^[0-9a-f]{64}$ ]]
  id=$output
  [ "$elapsed_ms" -lt 5000 ]
  run_skiff inspect -f '{{.State.Status}} {{.State.Running}}' bg
  assert_equal "$output" "running true"
  run_skiff ps --format '{{.Names}} {{.Status}}'
  [[ $output =~ ^bg\ Up ]]
  pid=$("$SKIFF" inspect -f '{{.State.Pid}}' bg)
  [ -d "/proc/$pid" ]
  # The monitor is the init's parent, in a session of its own.
  mon=$(monitor_pid "$id")
  [ -n "$mon" ]
  [ "$(awk '{print $4}' "/proc/$pid/stat")" = "$mon" ]
  [ "$(ps -o sid= -p "$mon" | tr -d ' ')" != "$(ps -o sid= -p $$ | tr -d ' ')" ]
}

@test "stop sends the stop signal, then SIGKILL after the timeout, and records the exit" {
  run_skiff run -d --name trapper busybox sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done'
  sleep 0.3
  run_skiff stop trapper
  assert_equal "$output" trapper
  run_skiff inspect -f '{{.State.Status}} {{.State.ExitCode}}' trapper
  assert_equal "$output" "exited 7"
  # PID 1 without a handler ignores SIGTERM: killed after -t.
  run_skiff run -d --name stubborn busybox sleep 60
  start=$(date +%s%N)
  run_skiff stop -t 1 stubborn
  elapsed_ms=$((($(date +%s%N) - start) / 1000000))
  [ "$elapsed_ms" -ge 900 ]
  [ "$elapsed_ms" -lt 5000 ]
  run_skiff inspect -f '{{.State.Status}} {{.State.ExitCode}}' stubborn
  assert_equal "$output" "exited 137"
  # Stopping a stopped container is fine, as docker.
  run_skiff stop stubborn
  assert_equal "$output" stubborn
}

@test "stop uses --stop-signal, and -s overrides it" {
  run_skiff run -d --name usr1 --stop-signal USR1 busybox sh -c 'trap "exit 11" USR1; trap "exit 12" HUP; while :; do sleep 0.1; done'
  sleep 0.3
  run_skiff stop usr1
  run_skiff inspect -f '{{.State.ExitCode}} {{.Config.StopSignal}}' usr1
  assert_equal "$output" "11 USR1"
  run_skiff start usr1
  sleep 0.3
  run_skiff stop -s HUP usr1
  run_skiff inspect -f '{{.State.ExitCode}}' usr1
  assert_equal "$output" 12
  run_skiff 125 run -d --stop-signal NOPE busybox true
  assert_skiff_error "invalid signal: NOPE"
}

@test "kill sends a signal; kill of a stopped container is an error" {
  run_skiff run -d --name kk busybox sh -c 'trap "echo got" HUP; trap "exit 3" TERM; while :; do sleep 0.1; done'
  sleep 0.3
  run_skiff kill -s SIGHUP kk
  assert_equal "$output" kk
  run_skiff inspect -f '{{.State.Status}}' kk
  assert_equal "$output" running
  run_skiff kill -s 15 kk
  wait_for_status kk exited
  run_skiff inspect -f '{{.State.ExitCode}}' kk
  assert_equal "$output" 3
  run_skiff 125 kill kk
  assert_output_contains "is not running"
  run_skiff 125 kill -s BOGUS kk
  assert_skiff_error "invalid signal: BOGUS"
  run_skiff 125 kill nosuch
  assert_output_contains "No such container: nosuch"
}

@test "wait prints the exit code, and waits for a created container to run and end" {
  run_skiff run -d --name ww busybox sh -c 'sleep 0.5; exit 42'
  run_skiff wait ww
  assert_equal "$output" 42
  run_skiff wait ww
  assert_equal "$output" 42
  run_skiff create --name later busybox sh -c 'exit 9'
  ( sleep 0.5; "$SKIFF" start later >/dev/null ) &
  run_skiff wait later
  assert_equal "$output" 9
  wait
  run_skiff 125 wait nosuch
  assert_output_contains "No such container: nosuch"
}

@test "a command that can't run fails run -d with its code and leaves the container exited" {
  run_skiff 127 run -d --name missing busybox no-such-command
  assert_output_contains 'executable file not found'
  run_skiff inspect -f '{{.State.Status}} {{.State.ExitCode}}' missing
  assert_equal "$output" "exited 127"
  run_skiff 127 run -d --rm busybox no-such-command
  [ "$("$SKIFF" ps -aq | wc -l)" -eq 1 ]
}

@test "run -d --rm removes the container when it ends" {
  run_skiff run -d --rm --name gone busybox sh -c 'sleep 0.3'
  for _ in $(seq 100); do "$SKIFF" inspect gone >/dev/null 2>&1 || break; sleep 0.05; done
  run_skiff 125 inspect gone
  [ ! -e "$SKIFF_ROOT/.names/gone" ]
  [ -z "$(ls "$SKIFF_ROOT/containers")" ]
}

@test "start of a stopped container keeps its upper layer; restart runs it again" {
  run_skiff run -d --name keep busybox sh -c 'echo x >> /count; sleep 60'
  sleep 0.3
  run_skiff stop -t 0 keep
  run_skiff start keep
  assert_equal "$output" keep
  sleep 0.3
  run_skiff restart -t 0 keep
  assert_equal "$output" keep
  run_skiff inspect -f '{{.State.Status}}' keep
  assert_equal "$output" running
  sleep 0.3
  # A running container's start is a no-op.
  run_skiff start keep
  run_skiff stop -t 0 keep
  count=$("$SKIFF" export keep | tar -xOf - count | wc -l)
  assert_equal "$count" 3
}

@test "restart policies: on-failure:N, always until stopped, never after a kill" {
  run_skiff run -d --name fail --restart on-failure:2 busybox sh -c 'exit 3'
  for _ in $(seq 100); do
    [ "$("$SKIFF" inspect -f '{{.State.Status}} {{.RestartCount}}' fail)" = "exited 2" ] && break
    sleep 0.1
  done
  run_skiff inspect -f '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}} {{.HostConfig.RestartPolicy.Name}}' fail
  assert_equal "$output" "exited 2 3 on-failure"

  run_skiff run -d --name ok --restart on-failure busybox true
  run_skiff wait ok
  sleep 0.5
  run_skiff inspect -f '{{.State.Status}} {{.RestartCount}}' ok
  assert_equal "$output" "exited 0"

  run_skiff run -d --name again --restart always busybox sh -c 'sleep 0.2'
  for _ in $(seq 100); do
    [ "$("$SKIFF" inspect -f '{{.RestartCount}}' again)" -ge 2 ] && break
    sleep 0.1
  done
  [ "$("$SKIFF" inspect -f '{{.RestartCount}}' again)" -ge 2 ]
  run_skiff stop -t 1 again
  count=$("$SKIFF" inspect -f '{{.RestartCount}}' again)
  sleep 1
  run_skiff inspect -f '{{.State.Status}} {{.RestartCount}}' again
  assert_equal "$output" "exited $count"
  [ -z "$(monitor_pid "$("$SKIFF" inspect -f '{{.Id}}' again)")" ]

  run_skiff run -d --name killed --restart always busybox sleep 60
  run_skiff kill killed
  wait_for_status killed exited
  sleep 0.5
  run_skiff inspect -f '{{.State.Status}} {{.State.ExitCode}}' killed
  assert_equal "$output" "exited 137"

  run_skiff 125 run -d --restart sometimes busybox true
  assert_output_contains "invalid restart policy"
  run_skiff 125 run -d --rm --restart always busybox true
  assert_skiff_error "Conflicting options: --restart and --rm"
}

@test "a container killed with kill -9 is recorded as exited 137 by its monitor" {
  run_skiff run -d --name victim busybox sleep 60
  pid=$("$SKIFF" inspect -f '{{.State.Pid}}' victim)
  kill -9 "$pid"
  wait_for_status victim exited
  run_skiff inspect -f '{{.State.ExitCode}}' victim
  assert_equal "$output" 137
}

@test "kill -9 of the monitor: the container goes with it and reads as exited" {
  run_skiff run -d --name orphan busybox sleep 60
  id=$("$SKIFF" inspect -f '{{.Id}}' orphan)
  pid=$("$SKIFF" inspect -f '{{.State.Pid}}' orphan)
  mon=$(monitor_pid "$id")
  kill -9 "$mon"
  for _ in $(seq 100); do [ -d "/proc/$pid" ] || break; sleep 0.05; done
  [ ! -d "/proc/$pid" ]
  run_skiff inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}' orphan
  assert_equal "$output" "exited 255 false"
  run_skiff ps -a --format '{{.Names}} {{.Status}}'
  [[ $output =~ orphan\ Exited\ \(255\) ]]
  # It can be started again and removed.
  run_skiff start orphan
  run_skiff inspect -f '{{.State.Status}}' orphan
  assert_equal "$output" running
  run_skiff rm -f orphan
}

@test "a foreground run can be stopped and killed from another skiff" {
  "$SKIFF" run --name fg busybox sh -c 'trap "exit 5" TERM; while :; do sleep 0.1; done' &
  runner=$!
  wait_for_status fg running
  run_skiff stop fg
  wait "$runner" || rc=$?
  [ "${rc:-0}" -eq 5 ]
  run_skiff inspect -f '{{.State.Status}} {{.State.ExitCode}}' fg
  assert_equal "$output" "exited 5"
}

@test "two run -d --name x at once: exactly one wins, the other exits 125" {
  for i in 1 2 3 4; do
    (
      rc=0
      "$SKIFF" run -d --name race busybox sleep 30 >"$SKIFF_TEST_DIR/out.$i" 2>&1 || rc=$?
      echo "$rc" >"$SKIFF_TEST_DIR/rc.$i"
    ) &
  done
  wait
  wins=0
  for i in 1 2 3 4; do
    rc=$(cat "$SKIFF_TEST_DIR/rc.$i")
    if [ "$rc" -eq 0 ]; then
      wins=$((wins + 1))
    else
      [ "$rc" -eq 125 ]
      grep -q 'The container name "/race" is already in use' "$SKIFF_TEST_DIR/out.$i"
    fi
  done
  [ "$wins" -eq 1 ]
  [ "$("$SKIFF" ps -aq | wc -l)" -eq 1 ]
}

@test "rename: the new name finds it, the old one is free, a taken one is refused" {
  run_skiff run -d --name old busybox sleep 60
  run_skiff run -d --name other busybox sleep 60
  run_skiff rename old new
  run_skiff inspect -f '{{.Name}}' new
  assert_equal "$output" /new
  run_skiff 125 inspect old
  run_skiff 125 rename new other
  assert_output_contains 'The container name "/other" is already in use'
  run_skiff 125 rename new new
  run_skiff 125 rename new 'bad name'
  assert_output_contains "Invalid container name"
  run_skiff stop -t 0 new
  run_skiff inspect -f '{{.State.Status}}' new
  assert_equal "$output" exited
  run_skiff run -d --name old busybox true
  # A --rm container renamed while it runs gives back its new name when removed.
  run_skiff run -d --rm --name short busybox sleep 1
  run_skiff rename short longer
  for _ in $(seq 100); do "$SKIFF" inspect longer >/dev/null 2>&1 || break; sleep 0.05; done
  [ ! -e "$SKIFF_ROOT/containers/.names/longer" ]
  [ ! -e "$SKIFF_ROOT/containers/.names/short" ]
}

@test "attach: output and input of a -di container; EOF ends it" {
  run_skiff run -di --name cat busybox sh -c 'while read -r line; do echo "got $line"; echo "err $line" >&2; done; exit 4'
  run bash -c "printf 'one\ntwo\n' | timeout 20 '$SKIFF' attach cat 2>'$SKIFF_TEST_DIR/err'"
  [ "$status" -eq 4 ]
  assert_equal "$output" "got one
got two"
  grep -q "err two" "$SKIFF_TEST_DIR/err"
  run_skiff 125 attach cat
  assert_output_contains "You cannot attach to a stopped container"
}

@test "attach to -dit: a terminal session, and ctrl-p ctrl-q detaches leaving it running" {
  command -v script >/dev/null || skip "script(1) is not installed"
  run_skiff run -dit --name shell busybox sh
  # Type a command, then the detach keys.
  run bash -c "(sleep 0.5; printf 'echo hel\"\"lo\r'; sleep 0.5; printf '\020\021') |
    timeout 20 script -qec '$SKIFF attach shell' /dev/null"
  [ "$status" -eq 1 ]
  assert_output_contains hello
  assert_output_contains "read escape sequence"
  run_skiff inspect -f '{{.State.Status}}' shell
  assert_equal "$output" running
  # Other detach keys.
  run bash -c "(sleep 0.5; printf 'ab') | timeout 20 script -qec '$SKIFF attach --detach-keys a,b shell' /dev/null"
  [ "$status" -eq 1 ]
  run_skiff 125 attach --detach-keys ctrl-1 shell
  assert_output_contains "invalid detach keys"
  # exit in the shell ends attach with its code.
  run bash -c "(sleep 0.5; printf 'exit 6\r') | timeout 20 script -qec '$SKIFF attach shell' /dev/null"
  [ "$status" -eq 6 ]
  wait_for_status shell exited
}

@test "ps stays right while 16 scripts run, stop and remove containers at once" {
  churn_containers 16
  bad=0
  while jobs -r | grep -q .; do
    if ! out=$("$SKIFF" ps -a --format '{{.ID}} {{.Status}}' 2>&1); then bad=1; echo "$out"; fi
    if echo "$out" | grep -q -i -e warning -e skipping -e error; then bad=1; echo "$out"; fi
  done
  wait
  [ "$bad" -eq 0 ]
  [ -z "$("$SKIFF" ps -aq)" ]
}

@test "stop, wait, restart and rename refuse what doesn't exist" {
  run_skiff 125 stop nosuch
  assert_output_contains "No such container: nosuch"
  run_skiff 125 restart nosuch
  run_skiff 125 rename nosuch x
  run_skiff 125 attach nosuch
}
