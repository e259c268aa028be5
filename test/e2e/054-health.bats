#!/usr/bin/env bats
# Health checks: --health-* and the image's HEALTHCHECK, run by a detached
# container's monitor inside the container; State.Health in inspect, the
# health in ps's status and its health= filter.
load helpers

per_test_setup() { import_busybox; }
per_test_teardown() { remove_all_containers; }

# wait_for_health CONTAINER STATE: polls inspect for up to 10 s.
wait_for_health() { wait_for_inspect "$1" '{{.State.Health.Status}}' "$2"; }

health() { "$SKIFF" inspect -f "{{json .State.Health}}" "$1"; }
health_field() { health "$1" | python3 -c 'import json, sys; j = json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"; }

@test "a passing check makes the container healthy, shown by inspect and ps" {
  run_skiff run -d --name web --health-cmd 'test -f /tmp/ready' --health-interval 100ms \
    --health-retries 100000 busybox sleep 60
  # Until a check passes: starting (the failures are counted).
  run_skiff inspect -f '{{.State.Health.Status}}' web
  assert_equal "$output" starting
  run_skiff ps --format '{{.Names}} {{.Status}}'
  [[ $output =~ ^web\ Up\ .*\(health:\ starting\)$ ]]
  run_skiff exec web touch /tmp/ready
  wait_for_health web healthy
  run_skiff ps --format '{{.Status}}'
  [[ $output =~ ^Up\ .*\(healthy\)$ ]]
  assert_equal "$(health_field web 'j["FailingStreak"]')" 0
  assert_equal "$(health_field web 'j["Log"][-1]["ExitCode"]')" 0
  # Every entry has docker's fields, with times.
  assert_equal "$(health_field web 'sorted(j["Log"][-1].keys())')" "['End', 'ExitCode', 'Output', 'Start']"
  [[ $(health_field web 'j["Log"][-1]["Start"]') =~ ^20[0-9][0-9]-.*Z$ ]]
  # The recorded settings are docker's (nanoseconds).
  run_skiff inspect -f '{{json .Config.Healthcheck}}' web
  assert_equal "$output" '{"Test":["CMD-SHELL","test -f /tmp/ready"],"Interval":100000000,"Retries":100000}'
}

@test "failures in a row make it unhealthy; the output is kept, five entries at most" {
  run_skiff run -d --name sick --health-cmd 'echo broken >&2; echo out; exit 3' --health-interval 50ms \
    --health-retries 2 busybox sleep 60
  wait_for_health sick unhealthy
  [ "$(health_field sick 'j["FailingStreak"]')" -ge 2 ]
  assert_equal "$(health_field sick 'j["Log"][-1]["ExitCode"]')" 3
  assert_equal "$(health_field sick 'sorted(j["Log"][-1]["Output"].split())')" "['broken', 'out']"
  sleep 1
  assert_equal "$(health_field sick 'len(j["Log"])')" 5
  run_skiff ps --format '{{.Status}}'
  [[ $output =~ ^Up\ .*\(unhealthy\)$ ]]
  # The container itself runs on: a health check never stops it.
  run_skiff inspect -f '{{.State.Status}}' sick
  assert_equal "$output" running
}

@test "a check that outlives its timeout is killed and fails" {
  run_skiff run -d --name slow --health-cmd 'sleep 30' --health-timeout 200ms --health-interval 50ms \
    --health-retries 1 busybox sleep 60
  wait_for_health slow unhealthy
  assert_equal "$(health_field slow 'j["Log"][-1]["ExitCode"]')" -1
  assert_equal "$(health_field slow 'j["Log"][-1]["Output"]')" "Health check exceeded timeout (200ms)"
  # The killed probe is gone, not a zombie of the monitor, and no probe piles up.
  sleep 0.5
  pid=$("$SKIFF" inspect -f '{{.State.Pid}}' slow)
  run pgrep -u "$(id -u)" -f '^sleep 30'
  [ "$(echo "$output" | grep -c .)" -le 1 ]
  mon=$(awk '{print $4}' "/proc/$pid/stat")
  run bash -c "ps -o stat= --ppid $mon | grep -c Z"
  assert_equal "$output" 0
}

@test "the check runs inside the container: its namespaces, user, environment and files" {
  # Without a subordinate range only uid 0 exists in the container.
  uid=0
  if has_subids; then uid=1000; fi
  run_skiff run -d --name inside --hostname checked -e MARK=yes -u "$uid" --health-interval 50ms \
    --health-cmd "test \"\$(hostname)\" = checked && test \"\$MARK\" = yes && test \"\$(id -u)\" = $uid && test -f /etc/only-here" \
    busybox sh -c 'sleep 60'
  # Not yet: /etc/only-here exists only once we make it.
  wait_for_health inside unhealthy
  assert_equal "$(health_field inside 'j["Log"][-1]["ExitCode"]')" 1
  run_skiff exec -u 0 inside touch /etc/only-here
  wait_for_health inside healthy
}

@test "an unhealthy container that recovers is healthy again, with its streak reset" {
  run_skiff run -d --name flaky --health-cmd 'test -f /tmp/ok' --health-interval 50ms --health-retries 1 \
    busybox sleep 60
  wait_for_health flaky unhealthy
  run_skiff exec flaky touch /tmp/ok
  wait_for_health flaky healthy
  assert_equal "$(health_field flaky 'j["FailingStreak"]')" 0
}

@test "failures in the start period don't count until a check passed" {
  run_skiff run -d --name booting --health-cmd 'test -f /tmp/up' --health-interval 50ms --health-retries 1 \
    --health-start-period 30s busybox sleep 60
  sleep 0.6
  assert_equal "$(health_field booting 'j["Status"]')" starting
  assert_equal "$(health_field booting 'j["FailingStreak"]')" 0
  [ "$(health_field booting 'len(j["Log"])')" -ge 3 ]
  run_skiff exec booting touch /tmp/up
  wait_for_health booting healthy
  # Once it passed, a failure counts even inside the start period.
  run_skiff exec booting rm /tmp/up
  wait_for_health booting unhealthy
}

@test "ps --filter health= and its errors" {
  run_skiff run -d --name good --health-cmd true --health-interval 50ms busybox sleep 60
  run_skiff run -d --name bad --health-cmd false --health-interval 50ms --health-retries 1 busybox sleep 60
  run_skiff run -d --name plain busybox sleep 60
  wait_for_health good healthy
  wait_for_health bad unhealthy
  run_skiff ps --filter health=healthy --format '{{.Names}}'
  assert_equal "$output" good
  run_skiff ps --filter health=unhealthy --format '{{.Names}}'
  assert_equal "$output" bad
  run_skiff ps --filter health=none --format '{{.Names}}'
  assert_equal "$output" plain
  run_skiff ps --filter health=healthy --filter health=unhealthy --format '{{.Names}}'
  assert_equal "$(echo "$output" | sort | tr '\n' ' ')" "bad good "
  run_skiff 125 ps --filter health=fine
  assert_skiff_error "invalid filter \`health=fine\`: the health states are starting, healthy, unhealthy and none"
}

@test "the image's HEALTHCHECK runs; flags override parts of it; --no-healthcheck turns it off" {
  dir="$SKIFF_TEST_DIR/oci"
  python3 "$BATS_TEST_DIRNAME/make_oci.py" "$(busybox_tar)" "$dir" --compression none --config-json \
    '{"Healthcheck": {"Test": ["CMD", "/bin/sh", "-c", "test -f /tmp/image-check"], "Interval": 50000000, "Retries": 1}}'
  tar -C "$dir" -cf "$SKIFF_TEST_DIR/oci.tar" .
  run_skiff load -i "$SKIFF_TEST_DIR/oci.tar"
  id=${output##* }
  run_skiff tag "$id" checked
  run_skiff run -d --name img checked sleep 60
  run_skiff inspect -f '{{json .Config.Healthcheck.Test}}' img
  assert_equal "$output" '["CMD","/bin/sh","-c","test -f /tmp/image-check"]'
  wait_for_health img unhealthy
  run_skiff exec img touch /tmp/image-check
  wait_for_health img healthy
  # A flag replaces only what it names.
  run_skiff create --name tuned --health-retries 7 checked
  run_skiff inspect -f '{{json .Config.Healthcheck}}' tuned
  assert_equal "$output" '{"Test":["CMD","/bin/sh","-c","test -f /tmp/image-check"],"Interval":50000000,"Retries":7}'
  run_skiff run -d --name off --no-healthcheck checked sleep 60
  run_skiff inspect -f '{{json .Config.Healthcheck.Test}}' off
  assert_equal "$output" '["NONE"]'
  sleep 0.3
  run_skiff inspect -f '{{json .State.Health}}' off
  assert_equal "$output" null
  run_skiff ps --filter health=none --format '{{.Names}}'
  [[ $output == *off* ]]
}

@test "bad health flags: docker's messages, exit 125, nothing created" {
  before=$(ls "$SKIFF_ROOT/containers")
  run_skiff 125 create --no-healthcheck --health-cmd true busybox true
  assert_skiff_error "--no-healthcheck conflicts with --health-* options"
  run_skiff 125 run -d --health-cmd true --health-interval 10us busybox true
  assert_skiff_error "--health-interval cannot be less than 1ms"
  run_skiff 125 run -d --health-cmd true --health-timeout=-1s busybox true
  assert_skiff_error "--health-timeout cannot be negative"
  run_skiff 125 create --health-cmd true --health-start-period soon busybox true
  assert_skiff_error "invalid argument \`soon\` for --health-start-period: expected a duration like 30s or 1m30s"
  run_skiff 125 create --health-cmd true --health-retries=-2 busybox true
  assert_skiff_error "--health-retries cannot be negative"
  assert_equal "$(ls "$SKIFF_ROOT/containers")" "$before"
}

@test "a restart begins with starting again; a stopped container keeps its last health" {
  run_skiff run -d --name again --health-cmd true --health-interval 1s busybox sleep 60
  wait_for_health again healthy
  run_skiff stop -t 0 again
  run_skiff inspect -f '{{.State.Status}} {{.State.Health.Status}}' again
  assert_equal "$output" "exited healthy"
  run_skiff start again
  run_skiff inspect -f '{{.State.Health.Status}}' again
  assert_equal "$output" starting
  # The log of earlier runs is kept, as docker's.
  [ "$(health_field again 'len(j["Log"])')" -ge 1 ]
  wait_for_health again healthy
}

@test "a command the check can't run fails it with the shell's code" {
  run_skiff run -d --name missing --health-cmd 'no-such-probe' --health-interval 50ms --health-retries 1 \
    busybox sleep 60
  wait_for_health missing unhealthy
  assert_equal "$(health_field missing 'j["Log"][-1]["ExitCode"]')" 127
  [[ $(health_field missing 'j["Log"][-1]["Output"]') == *no-such-probe* ]]
}

@test "a foreground container is checked too, by the skiff run that watches it" {
  "$SKIFF" run --name fg --health-cmd true --health-interval 50ms busybox sleep 3 &
  fg_pid=$!
  wait_for_health fg healthy
  run_skiff ps --format '{{.Names}} {{.Status}}'
  [[ $output =~ ^fg\ Up\ .*\(healthy\)$ ]]
  wait "$fg_pid"
  run_skiff inspect -f '{{.State.Status}} {{.State.Health.Status}}' fg
  assert_equal "$output" "exited healthy"
  # With --rm too: the state is kept while it runs, for inspect.
  "$SKIFF" run --rm --name gone --health-cmd false --health-interval 50ms --health-retries 1 busybox sleep 3 &
  fg_pid=$!
  wait_for_health gone unhealthy
  wait "$fg_pid"
  run_skiff 125 inspect gone
}

@test "a hostile check's output (megabytes, invalid UTF-8) is cut at 4 KiB and breaks nothing" {
  run_skiff run -d --name noisy --health-cmd 'head -c 3000000 /dev/urandom; exit 1' --health-interval 50ms \
    --health-retries 2 busybox sleep 60
  wait_for_health noisy unhealthy
  # At most 4096 bytes were kept; invalid UTF-8 became U+FFFD (3 bytes each).
  [ "$(health_field noisy 'len(j["Log"][-1]["Output"].encode())')" -le $((4096 * 3)) ]
  [ "$(health_field noisy 'len(j["Log"][-1]["Output"])')" -le 4096 ]
  run_skiff inspect -f '{{.State.Status}}' noisy
  assert_equal "$output" running
  run_skiff exec noisy echo still-there
  assert_equal "$output" still-there
}
