#!/usr/bin/env bats
# skiff run: the container's command, its exit codes, and the options that
# shape its process.
load helpers

per_test_setup() { import_busybox; }

@test "run prints the command's output and passes its exit code through" {
  run_skiff run --rm busybox echo hello
  assert_equal "$output" hello
  run_skiff 3 run --rm busybox sh -c 'exit 3'
  # PID 1 can't be killed from inside its namespace; under --init the
  # command is PID 2, and its death by a signal is 128+N.
  run_skiff 137 run --rm --init busybox sh -c 'kill -9 $$'
}

@test "arguments after IMAGE belong to the container's command" {
  run_skiff run --rm busybox echo --rm -it --name x
  assert_equal "$output" "--rm -it --name x"
  run_skiff run --rm -e A=1 busybox sh -c 'echo $A'
  assert_equal "$output" 1
}

@test "a command that is not found exits 127, one that can't run 126" {
  run_skiff 127 run --rm busybox no-such-command
  assert_equal "$output" 'skiff: exec: "no-such-command": executable file not found in $PATH'
  run_skiff 127 run --rm busybox /no/such/file
  assert_output_contains 'no such file or directory'
  run_skiff 126 run --rm busybox /etc
  assert_equal "$output" 'skiff: exec: "/etc": permission denied'
}

@test "skiff's own failures exit 125 with one clear line" {
  run_skiff 125 run --rm --pull never no-such-image true
  assert_skiff_error "No such image"
  run_skiff 125 run --rm --network bogus busybox true
  assert_skiff_error "network bogus not found"
  run_skiff 125 run --rm -u nosuchuser busybox true
  assert_skiff_error "unable to find user nosuchuser"
  run_skiff 125 run --rm busybox
  run_skiff 125 run --rm --entrypoint "" busybox
  assert_skiff_error "No command specified"
  [ -z "$(ls "$SKIFF_ROOT/containers")" ]
}

@test "--rm removes the container; without it the container stays, exited" {
  run_skiff run --rm busybox true
  [ -z "$(ls "$SKIFF_ROOT/containers")" ]
  run_skiff run --name kept busybox sh -c 'echo data > /file; exit 4' || true
  id=$(readlink "$SKIFF_ROOT/containers/.names/kept")
  grep -q '"Status":"exited"' "$SKIFF_ROOT/containers/$id/state.json"
  grep -q '"ExitCode":4' "$SKIFF_ROOT/containers/$id/state.json"
}

@test "a container name is taken once" {
  run_skiff run --name dup busybox true
  run_skiff 125 run --name dup busybox true
  assert_skiff_error 'The container name "/dup" is already in use'
  run_skiff 125 run --name 'bad name' busybox true
  assert_skiff_error "Invalid container name"
}

@test "-e, -e NAME from our environment, and --env-file" {
  printf '# comment\nFROM_FILE=yes\n\nPASSED\n' > "$SKIFF_TEST_DIR/env"
  export PASSED=through MINE=mine
  run_skiff run --rm -e MINE -e SET=1 -e UNSET_HERE --env-file "$SKIFF_TEST_DIR/env" busybox \
    sh -c 'echo $MINE $SET $FROM_FILE $PASSED ${UNSET_HERE-unset}; echo $PATH'
  assert_equal "${lines[0]}" "mine 1 yes through unset"
  assert_equal "${lines[1]}" "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}

@test "-w sets (and creates) the working directory; -h the host name" {
  run_skiff run --rm -w /new/dir -h box busybox sh -c 'pwd; hostname; cat /etc/hostname; echo $HOSTNAME'
  assert_equal "$output" "$(printf '/new/dir\nbox\nbox\nbox')"
}

@test "a working directory below a volume is made in the volume" {
  mkdir "$SKIFF_TEST_DIR/vol"
  run_skiff run --rm -v "$SKIFF_TEST_DIR/vol:/data" -w /data/sub/dir busybox pwd
  assert_equal "$output" /data/sub/dir
  [ -d "$SKIFF_TEST_DIR/vol/sub/dir" ]
  run_skiff run --rm --read-only -w /made/before busybox pwd
  assert_equal "$output" /made/before
}

@test "--entrypoint replaces the image's entrypoint and command" {
  run_skiff run --rm --entrypoint echo busybox one two
  assert_equal "$output" "one two"
}

@test "-u takes a uid:gid or a name from the image's /etc/passwd" {
  run_skiff run --rm -u 0 busybox id -u
  assert_equal "$output" 0
  if ! has_subids; then skip "other users need a subordinate ID range"; fi
  run_skiff run --rm -u 1000:1000 busybox id
  assert_equal "$output" "uid=1000 gid=1000"
  run_skiff run --rm -u nobody busybox id -un
  assert_equal "$output" nobody
  run_skiff run --rm -u 1000 --group-add 5 --group-add 7 busybox id -G
  assert_equal "$output" "0 5 7"
}

@test "without a subordinate range, other users fail clearly and a warning says why" {
  if has_subids; then skip "this user has a subordinate ID range"; fi
  rm "$SKIFF_ROOT/.warned-single-id"
  run_skiff run --rm busybox true
  assert_output_contains "skiff: warning: no subordinate ID range"
  run_skiff run --rm busybox true
  assert_equal "$output" ""
  run_skiff 125 run --rm -u 1000 busybox true
  assert_skiff_error "uid 1000 is not mapped"
}

@test "-v binds a host folder (ro or rw) and creates a missing one" {
  mkdir "$SKIFF_TEST_DIR/data"
  echo hostfile > "$SKIFF_TEST_DIR/data/f"
  run_skiff run --rm -v "$SKIFF_TEST_DIR/data:/data" busybox sh -c 'cat /data/f; echo new > /data/g'
  assert_equal "$output" hostfile
  assert_equal "$(cat "$SKIFF_TEST_DIR/data/g")" new
  [ "$(stat -c %u "$SKIFF_TEST_DIR/data/g")" = "$(id -u)" ]
  run_skiff 1 run --rm -v "$SKIFF_TEST_DIR/data:/data:ro" busybox touch /data/h
  assert_output_contains "Read-only file system"
  run_skiff run --rm -v "$SKIFF_TEST_DIR/made/here:/m" busybox true
  [ -d "$SKIFF_TEST_DIR/made/here" ]
  run_skiff 125 run --rm -v ./relative:/x busybox true
  assert_skiff_error "invalid volume"
}

@test "--mount type=bind|tmpfs and --tmpfs" {
  mkdir "$SKIFF_TEST_DIR/m"
  run_skiff run --rm --mount "type=bind,source=$SKIFF_TEST_DIR/m,target=/m,readonly" \
    --mount type=tmpfs,target=/scratch --tmpfs /t:size=1m busybox \
    sh -c 'touch /m/x 2>/dev/null && echo writable; touch /scratch/a /t/b && echo tmpfs ok; grep " /t " /proc/mounts'
  assert_equal "${lines[0]}" "tmpfs ok"
  assert_output_contains "size=1024k"
  run_skiff 125 run --rm --mount type=bind,source=/no/such/dir,target=/x busybox true
  assert_skiff_error "bind source path does not exist"
  run_skiff 125 run --rm --tmpfs relative busybox true
  assert_skiff_error "invalid --tmpfs"
}

@test "--read-only makes the root read-only, not the mounts on it" {
  run_skiff 1 run --rm --read-only busybox touch /file
  assert_output_contains "Read-only file system"
  run_skiff run --rm --read-only --tmpfs /tmp busybox touch /tmp/file
}

@test "stdin reaches the container only with -i" {
  run bash -c "echo piped | timeout 20 '$SKIFF' run --rm -i busybox cat"
  assert_equal "$output" piped
  run bash -c "echo piped | timeout 20 '$SKIFF' run --rm busybox cat"
  assert_equal "$output" ""
}

@test "-t gives the command a terminal of its own, sized like ours" {
  command -v script >/dev/null || skip "script(1) is not installed"
  run script -qec "stty rows 33 cols 101; timeout --foreground 20 '$SKIFF' run --rm -t busybox sh -c 'tty; stty size; echo \$TERM; exit 6'" /dev/null
  [ "$status" -eq 6 ]
  assert_output_contains "/dev/pts/0"
  assert_output_contains "33 101"
  assert_output_contains "xterm"
}

@test "-it relays typed input through the pty" {
  command -v script >/dev/null || skip "script(1) is not installed"
  run bash -c "printf 'echo typed-\$((6*7))\nexit 9\n' | script -qec \"timeout --foreground 20 '$SKIFF' run --rm -it busybox sh\" /dev/null"
  [ "$status" -eq 9 ]
  assert_output_contains "typed-42"
}

@test "a signal sent to skiff run reaches the container's process" {
  timeout 30 "$SKIFF" run --rm busybox sh -c 'trap "exit 143" TERM; echo ready; while :; do sleep 0.1; done' > "$SKIFF_TEST_DIR/out" &
  pid=$!
  for _ in $(seq 100); do grep -q ready "$SKIFF_TEST_DIR/out" && break; sleep 0.05; done
  kill -TERM $pid
  wait $pid || status=$?
  assert_equal "${status:-0}" 143
}

@test "--init runs skiff's init as PID 1, which forwards signals and reaps" {
  run_skiff run --rm --init busybox sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; echo $$'
  assert_output_contains "skiff-init -i"
  assert_equal "${lines[1]}" 2
  timeout 30 "$SKIFF" run --rm --init busybox sh -c 'trap "exit 7" USR1; echo ready; while :; do sleep 0.1; done' > "$SKIFF_TEST_DIR/out" &
  pid=$!
  for _ in $(seq 100); do grep -q ready "$SKIFF_TEST_DIR/out" && break; sleep 0.05; done
  kill -USR1 "$(pgrep -P $pid)"  # skiff, not timeout
  wait $pid || status=$?
  assert_equal "${status:-0}" 7
}

@test "--network none has only loopback, up; host shares ours" {
  run_skiff run --rm --network none busybox sh -c 'cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "; ping -c1 -W1 127.0.0.1 >/dev/null && echo lo-up'
  assert_equal "$output" "$(printf 'lo\nlo-up')"
  run_skiff run --rm --network host busybox cat /proc/net/dev
  assert_equal "${#lines[@]}" "$(wc -l < /proc/net/dev)"
}

@test "/etc/hosts, /etc/hostname and /etc/resolv.conf are the container's" {
  run_skiff run --rm -h myhost busybox sh -c 'cat /etc/hosts; cat /etc/hostname; grep -c nameserver /etc/resolv.conf || true'
  assert_output_contains "127.0.0.1	localhost"
  assert_output_contains "myhost"
}

@test "/proc, /sys, /dev are set up as docker's" {
  run_skiff run --rm busybox sh -c 'ls /dev | tr "\n" " "; echo; grep -E " /(proc/sys|sys) " /proc/mounts | cut -d" " -f2,4 | cut -d, -f1'
  for dev in null zero full random urandom tty ptmx pts shm mqueue; do assert_output_contains " $dev "; done
  assert_output_contains "/sys ro"
  assert_output_contains "/proc/sys ro"
}

@test "skiff started with stdin or stdout closed still runs containers" {
  run bash -c "'$SKIFF' run --rm busybox true <&-"
  [ "$status" -eq 0 ]
  run bash -c "'$SKIFF' run --rm busybox sh -c 'echo to-stderr >&2' <&- >&-"
  [ "$status" -eq 0 ]
  assert_equal "$output" to-stderr
  run bash -c "'$SKIFF' run -d --name closed busybox true <&- >&-; echo \$?"
  assert_equal "$output" 0
  run_skiff wait closed
  assert_equal "$output" 0
  # Its monitor ends just after the exit is recorded: gone before the
  # teardown looks for leftover processes.
  for _ in $(seq 100); do
    pgrep -u "$(id -u)" -f "__monitor .*$SKIFF_TEST_DIR" >/dev/null || break
    sleep 0.05
  done
}

@test "the container's command leads a session of its own, with or without a terminal, as runc's do" {
  run_skiff run --rm busybox sh -c 'cut -d" " -f6 /proc/1/stat'
  assert_equal "$output" 1
  run_skiff run --rm -t busybox sh -c 'cut -d" " -f6 /proc/1/stat'
  assert_equal "$(echo "$output" | tr -d '\r')" 1
}
