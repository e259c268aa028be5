#!/usr/bin/env bats
# skiff logs: what foreground containers wrote, kept in docker's json-file
# format (containers/<id>/ctr.log), and --log-driver / --log-opt.
load helpers

per_test_setup() { import_busybox; }

# The folder of container NAME.
container_dir() { echo "$SKIFF_ROOT/containers/$(readlink "$SKIFF_ROOT/containers/.names/$1")"; }

# Waits until container NAME runs (a background `skiff run`).
wait_running() {
  for _ in $(seq 100); do
    [ "$("$SKIFF" inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ] && return 0
    sleep 0.05
  done
  echo "container $1 never ran"
  return 1
}

# Every line of FILE is a JSON object of docker's json-file shape.
assert_json_lines() {
  python3 - "$1" <<'PY'
import json, re, sys
for n, line in enumerate(open(sys.argv[1], "rb").read().split(b"\n")[:-1], 1):
    e = json.loads(line)
    assert list(e) == ["log", "stream", "time"], (n, e)
    assert e["stream"] in ("stdout", "stderr"), (n, e)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z", e["time"]), (n, e)
PY
}

@test "logs prints what a foreground container wrote, stdout and stderr apart" {
  run_skiff_split run --name job busybox sh -c 'echo out; echo err >&2; echo out2'
  assert_equal "$output" $'out\nout2'
  assert_equal "$stderr" err
  run_skiff_split logs job
  assert_equal "$output" $'out\nout2'
  assert_equal "$stderr" err
  assert_equal "$("$SKIFF" logs job 2>/dev/null)" $'out\nout2'
  assert_equal "$("$SKIFF" container logs job 2>&1 >/dev/null)" err
  dir=$(container_dir job)
  [ -f "$dir/ctr.log" ]
  [ "$(wc -l <"$dir/ctr.log")" -eq 3 ]
  assert_json_lines "$dir/ctr.log"
  run_skiff inspect -f '{{json .HostConfig.LogConfig}} {{.LogPath}}' job
  assert_equal "$output" "{\"Type\":\"json-file\",\"Config\":{}} $dir/ctr.log"
}

@test "a start appends to the log" {
  run_skiff create --name twice busybox echo again
  run_skiff logs twice
  assert_equal "$output" ""
  run_skiff start -a twice
  run_skiff start -a twice
  run_skiff logs twice
  assert_equal "$output" $'again\nagain'
}

@test "logs -t starts each line with its RFC 3339 time" {
  run_skiff run --name stamped busybox sh -c 'echo one; echo two >&2'
  run_skiff_split logs -t stamped
  [[ $output =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z\ one$ ]]
  [[ $stderr =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z\ two$ ]]
  run_skiff logs --details stamped
  assert_equal "$output" $' one\n two'
}

@test "logs --tail shows the last lines" {
  run_skiff run --name counted busybox sh -c 'for i in 1 2 3 4 5; do echo $i; done'
  run_skiff logs --tail 2 counted
  assert_equal "$output" $'4\n5'
  run_skiff logs -n 0 counted
  assert_equal "$output" ""
  run_skiff logs --tail all counted
  assert_equal "$output" $'1\n2\n3\n4\n5'
  run_skiff logs --tail 99 counted
  assert_equal "$output" $'1\n2\n3\n4\n5'
  run_skiff 125 logs --tail lots counted
  assert_skiff_error "invalid --tail \`lots\`"
}

@test "logs --since and --until select lines by their time" {
  run_skiff run --name timed busybox sh -c 'echo early; sleep 1; echo late'
  early=$("$SKIFF" logs -t timed | sed -n 1p | cut -d' ' -f1)
  late=$("$SKIFF" logs -t timed | sed -n 2p | cut -d' ' -f1)
  run_skiff logs --since "$late" timed
  assert_equal "$output" late
  run_skiff logs --until "$early" timed
  assert_equal "$output" early
  run_skiff logs --since "$early" --until "$late" timed
  assert_equal "$output" $'early\nlate'
  # Durations before now, Unix seconds, dates.
  run_skiff logs --since 1h timed
  assert_equal "$output" $'early\nlate'
  run_skiff logs --until 1h timed
  assert_equal "$output" ""
  run_skiff logs --since "$(($(date +%s) + 60))" timed
  assert_equal "$output" ""
  run_skiff logs --since "$(($(date +%s) - 60)).5" timed
  assert_equal "$output" $'early\nlate'
  run_skiff logs --since "$(date -u -d '+1 day' +%Y-%m-%d)Z" timed
  assert_equal "$output" ""
  run_skiff logs --until "$(date -d '+1 hour' +%Y-%m-%dT%H:%M:%S)" timed
  assert_equal "$output" $'early\nlate'
  run_skiff 125 logs --since someday timed
  assert_skiff_error "invalid --since \`someday\`"
  run_skiff 125 logs --until 2024-13-01 timed
  assert_skiff_error "invalid --until"
}

@test "logs keeps bytes as written: a last line without newline, long lines, control bytes" {
  run_skiff run --name partial busybox printf 'a\nno newline'
  "$SKIFF" logs partial >"$SKIFF_TEST_DIR/out"
  printf 'a\nno newline' | cmp - "$SKIFF_TEST_DIR/out"

  # 40000 bytes on one line: cut into 16 KiB entries, printed whole.
  run_skiff run --name long busybox sh -c 'head -c 40000 /dev/zero | tr "\0" x; echo; echo next'
  "$SKIFF" logs long >"$SKIFF_TEST_DIR/out"
  { head -c 40000 /dev/zero | tr '\0' x; echo; echo next; } | cmp - "$SKIFF_TEST_DIR/out"
  dir=$(container_dir long)
  [ "$(wc -l <"$dir/ctr.log")" -eq 4 ]
  assert_json_lines "$dir/ctr.log"
  run python3 -c 'import json, sys; print([len(json.loads(l)["log"]) for l in open(sys.argv[1])])' "$dir/ctr.log"
  assert_equal "$output" "[16384, 16384, 7233, 5]"

  # Control characters come back as they were; invalid UTF-8 as U+FFFD, as docker.
  run_skiff run --name binary busybox printf 'a\001b\033[0m\tc\377d\r\n'
  "$SKIFF" logs binary >"$SKIFF_TEST_DIR/out"
  printf 'a\001b\033[0m\tc\357\277\275d\r\n' | cmp - "$SKIFF_TEST_DIR/out"
  assert_json_lines "$(container_dir binary)/ctr.log"
}

@test "--log-opt max-size and max-file rotate the log, keeping max-file files" {
  run_skiff run --name rotated --log-opt max-size=1k --log-opt max-file=3 busybox \
    sh -c 'i=0; while [ $i -lt 300 ]; do echo "line $i"; i=$((i + 1)); done'
  dir=$(container_dir rotated)
  assert_equal "$(ls "$dir" | grep -c '^ctr\.log')" 3
  [ -f "$dir/ctr.log.1" ] && [ -f "$dir/ctr.log.2" ] && [ ! -e "$dir/ctr.log.3" ]
  for f in "$dir"/ctr.log*; do
    [ "$(stat -c %s "$f")" -lt 1200 ]
    assert_json_lines "$f"
  done
  # Oldest file first: consecutive lines ending with the newest.
  "$SKIFF" logs rotated >"$SKIFF_TEST_DIR/out"
  assert_equal "$(tail -1 "$SKIFF_TEST_DIR/out")" "line 299"
  first=$(head -1 "$SKIFF_TEST_DIR/out" | cut -d' ' -f2)
  [ "$first" -gt 200 ]
  seq "$first" 299 | sed 's/^/line /' | cmp - "$SKIFF_TEST_DIR/out"
  run_skiff logs --tail 20 rotated
  assert_equal "$output" "$(seq 280 299 | sed 's/^/line /')"
  run_skiff inspect -f '{{json .HostConfig.LogConfig}}' rotated
  assert_equal "$output" '{"Type":"json-file","Config":{"max-file":"3","max-size":"1k"}}'
}

@test "--log-driver none keeps no log, and logs says so" {
  run_skiff run --name quiet --log-driver none busybox echo hi
  assert_equal "$output" hi
  [ ! -e "$(container_dir quiet)/ctr.log" ]
  run_skiff 125 logs quiet
  assert_equal "$output" "skiff: configured logging driver does not support reading"
  run_skiff inspect -f '{{json .HostConfig.LogConfig}}|{{.LogPath}}|' quiet
  assert_equal "$output" '{"Type":"none","Config":{}}||'
}

@test "bad log flags are refused before anything is made" {
  run_skiff 125 run --log-driver journald busybox true
  assert_equal "$output" "skiff: invalid --log-driver \`journald\`: skiff supports json-file and none"
  run_skiff 125 create --log-driver k8s-file busybox true
  assert_skiff_error "skiff supports json-file and none"
  run_skiff 125 run --log-opt compress=true busybox true
  assert_skiff_error "the json-file log driver takes max-size and max-file"
  run_skiff 125 run --log-opt max-size=lots busybox true
  assert_skiff_error "invalid --log-opt \`max-size=lots\`"
  run_skiff 125 run --log-opt max-file=3 busybox true
  assert_skiff_error "max-file needs max-size"
  run_skiff 125 run --log-driver none --log-opt max-size=1k busybox true
  assert_skiff_error "the none log driver takes no options"
  [ -z "$(ls "$SKIFF_ROOT/containers" 2>/dev/null)" ]
  run_skiff 125 logs nosuch
  assert_equal "$output" "skiff: No such container: nosuch"
}

@test "logs -f on a container that is not running returns at once" {
  run_skiff run --name done busybox echo finished
  start=$(date +%s%N)
  run_skiff logs -f done
  assert_equal "$output" finished
  [ $((($(date +%s%N) - start) / 1000000)) -lt 3000 ]
  run_skiff create --name fresh busybox true
  run_skiff logs -f fresh
  assert_equal "$output" ""
}

@test "logs -f follows a running container until it exits" {
  timeout 60 "$SKIFF" run --name live busybox sh -c 'echo a; sleep 2; echo b >&2; echo c' >/dev/null 2>&1 &
  pid=$!
  wait_running live
  run_skiff_split logs -f live
  assert_equal "$output" $'a\nc'
  assert_equal "$stderr" b
  # It returned because the container ended, not before.
  run_skiff inspect -f '{{.State.Status}}' live
  assert_equal "$output" exited
  wait "$pid"
}

@test "a container started in the background logs too, and -f follows it" {
  run_skiff create --name bg busybox sh -c 'echo one; sleep 1; echo two >&2; echo three'
  run_skiff start bg
  run_skiff_split logs -f bg
  assert_equal "$output" $'one\nthree'
  assert_equal "$stderr" two
  run_skiff inspect -f '{{.State.Status}}' bg
  assert_equal "$output" exited
}

@test "logs -f follows a log through its rotations, losing nothing" {
  mkdir "$SKIFF_TEST_DIR/sync"
  timeout 60 "$SKIFF" run --name spinner -v "$SKIFF_TEST_DIR/sync:/sync" --log-opt max-size=1k --log-opt max-file=2 \
    busybox sh -c 'until [ -f /sync/go ]; do sleep 0.05; done
      i=0; while [ $i -lt 120 ]; do echo "line $i"; i=$((i + 1)); [ $((i % 10)) = 0 ] && sleep 0.1; done' \
    >/dev/null &
  pid=$!
  wait_running spinner
  "$SKIFF" logs -f spinner >"$SKIFF_TEST_DIR/out" &
  reader=$!
  # The container writes once the reader has the log open: a slow start
  # (sanitizers) must not let rotations drop lines before it looks.
  for _ in $(seq 200); do
    ls -l "/proc/$reader/fd" 2>/dev/null | grep -q ctr.log && break
    sleep 0.05
  done
  touch "$SKIFF_TEST_DIR/sync/go"
  wait "$reader"
  seq 0 119 | sed 's/^/line /' | cmp - "$SKIFF_TEST_DIR/out"
  wait "$pid"
}

@test "logs -f ends when the container is removed" {
  timeout 60 "$SKIFF" run --name doomed busybox sh -c 'echo here; sleep 30' >/dev/null &
  pid=$!
  wait_running doomed
  timeout 20 "$SKIFF" logs -f doomed >"$SKIFF_TEST_DIR/out" &
  logs_pid=$!
  sleep 0.5
  run_skiff rm -f doomed
  wait "$logs_pid"
  assert_equal "$(cat "$SKIFF_TEST_DIR/out")" here
  wait "$pid" || true
}

@test "run --rm hands the caller's file over uncopied and keeps no log; a logged run uses pipes" {
  "$SKIFF" run --rm busybox readlink /proc/self/fd/1 >"$SKIFF_TEST_DIR/out"
  [[ $(cat "$SKIFF_TEST_DIR/out") != pipe:* ]]
  "$SKIFF" run --name piped busybox readlink /proc/self/fd/1 >"$SKIFF_TEST_DIR/out"
  [[ $(cat "$SKIFF_TEST_DIR/out") == pipe:* ]]
  "$SKIFF" run --name unlogged --log-driver none busybox readlink /proc/self/fd/1 >"$SKIFF_TEST_DIR/out"
  [[ $(cat "$SKIFF_TEST_DIR/out") != pipe:* ]]
  # While a --rm container runs (it records no "running"), its folder has no log.
  mkdir "$SKIFF_TEST_DIR/mark"
  timeout 60 "$SKIFF" run --rm --name brief -v "$SKIFF_TEST_DIR/mark:/mark" busybox \
    sh -c 'touch /mark/started; sleep 2' &
  pid=$!
  for _ in $(seq 100); do [ -e "$SKIFF_TEST_DIR/mark/started" ] && break; sleep 0.05; done
  dir=$(container_dir brief)
  [ -d "$dir" ] && [ ! -e "$dir/ctr.log" ]
  wait "$pid"
}

@test "a logged container's output still reaches a closed pipe's writer as EPIPE" {
  # head exits after one line: the container then gets SIGPIPE, as it would
  # holding the pipe itself, rather than running forever. (--init: PID 1 of
  # a namespace ignores SIGPIPE and would exit on EPIPE instead.)
  run timeout 30 bash -c "'$SKIFF' run --init --name yes busybox yes 2>/dev/null | head -1"
  [ "$status" -eq 0 ]
  assert_equal "$output" y
  run_skiff inspect -f '{{.State.Status}} {{.State.ExitCode}}' yes
  assert_equal "$output" "exited 141"
}

@test "logs reads no symlink planted as the log, and skips malformed lines" {
  run_skiff run --name target busybox echo mine
  dir=$(container_dir target)
  printf '{"log":"secret\\n","stream":"stdout","time":"2024-01-01T00:00:00Z"}\n' >"$SKIFF_TEST_DIR/elsewhere"
  mv "$dir/ctr.log" "$SKIFF_TEST_DIR/saved"
  ln -s "$SKIFF_TEST_DIR/elsewhere" "$dir/ctr.log"
  run_skiff logs target
  assert_equal "$output" ""
  rm "$dir/ctr.log"
  { echo 'not json'; cat "$SKIFF_TEST_DIR/saved"; printf '{"log":"torn'; } >"$dir/ctr.log"
  run_skiff logs target
  assert_equal "$output" mine
}
