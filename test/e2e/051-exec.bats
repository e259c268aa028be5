#!/usr/bin/env bats
# skiff exec: another process in a running container, with the container's
# namespaces, environment, user, capabilities and seccomp program.
load helpers

per_test_setup() { import_busybox; }

per_test_teardown() { remove_all_containers; }

@test "exec runs in the container's environment and working directory; -e, --env-file and -w add to them" {
  start_sleeper web -e FROM_CREATE=1 -e SHARED=create -w /tmp
  run_skiff exec web sh -c 'echo "$FROM_CREATE $SHARED $HOSTNAME"; pwd'
  assert_equal "$output" "$(printf '1 create %s\n/tmp' "$("$SKIFF" inspect -f '{{.Config.Hostname}}' web)")"
  printf 'FROM_FILE=file\n# a comment\nSHARED=file\n' > "$SKIFF_TEST_DIR/env"
  run_skiff exec --env-file "$SKIFF_TEST_DIR/env" -e SHARED=exec -w / web sh -c 'echo "$FROM_CREATE $FROM_FILE $SHARED"; pwd'
  assert_equal "$output" "$(printf '1 file exec\n/')"
  # Options after CONTAINER and COMMAND belong to the command.
  run_skiff exec web printf '%s %s %s' -e -w x
  assert_equal "$output" "-e -w x"
  run_skiff 125 exec -w /no/such/dir web true
  assert_skiff_error "enter working directory \`/no/such/dir\`"
}

@test "exec runs as the container's user unless -u says otherwise" {
  start_sleeper web
  run_skiff exec web id -u
  assert_equal "$output" 0
  run_skiff 125 exec -u nosuchuser web true
  assert_skiff_error "unable to find user nosuchuser"
  has_subids || skip "other users need a subordinate ID range"
  run_skiff exec -u nobody web sh -c 'id -u; id -g'
  assert_equal "$output" "$(printf '65534\n65534')"
  run_skiff exec -u 1000:1 web sh -c 'id -u; id -g'
  assert_equal "$output" "$(printf '1000\n1')"
  start_sleeper daemonic -u daemon
  run_skiff exec daemonic id -u
  assert_equal "$output" 1
}

@test "exec passes the command's exit code; 126 and 127 with docker's messages" {
  start_sleeper web
  run_skiff exec web true
  run_skiff 3 exec web sh -c 'exit 3'
  run_skiff 126 exec web /etc/passwd
  assert_output_contains 'exec: "/etc/passwd": permission denied'
  run_skiff 127 exec web no-such-command
  assert_output_contains 'exec: "no-such-command": executable file not found in $PATH'
  run_skiff 137 exec web sh -c 'kill -9 $$'
}

@test "exec into a container that is not running fails with 125" {
  run_skiff create --name made busybox sleep 1000
  run_skiff 125 exec made true
  assert_skiff_error "container \`made\` is not running"
  run_skiff run --name ended busybox true
  run_skiff 125 exec ended true
  assert_skiff_error "container \`ended\` is not running"
  run_skiff 125 exec nosuchcontainer true
  assert_skiff_error "No such container: nosuchcontainer"
  run_skiff 125 exec made
  assert_skiff_error "requires at least 2 arguments"
  run_skiff 125 exec --detach-keys ctrl-1 made true
  assert_skiff_error "invalid --detach-keys"
  run_skiff 125 exec --bogus made true
  assert_skiff_error "unknown flag: --bogus"
}

@test "-i passes our stdin; without it the command reads nothing" {
  start_sleeper web
  run bash -c "echo piped | timeout 20 '$SKIFF' exec -i web cat"
  [ "$status" -eq 0 ]
  assert_equal "$output" piped
  run bash -c "echo piped | timeout 20 '$SKIFF' exec web cat"
  [ "$status" -eq 0 ]
  assert_equal "$output" ""
}

@test "-t gives the command a terminal of the container's, sized like ours" {
  command -v script >/dev/null || skip "script(1) is not installed"
  start_sleeper web
  run script -qec "stty rows 33 cols 101; timeout --foreground 20 '$SKIFF' exec -t web sh -c 'tty; stty size; echo \$TERM; exit 6'" /dev/null
  [ "$status" -eq 6 ]
  assert_output_contains "/dev/pts/"
  assert_output_contains "33 101"
  assert_output_contains "xterm"
  run bash -c "printf 'echo typed-\$((6*7))\nexit 9\n' | script -qec \"timeout --foreground 20 '$SKIFF' exec -it web sh\" /dev/null"
  [ "$status" -eq 9 ]
  assert_output_contains "typed-42"
}

@test "-d returns at once and the command goes on" {
  start_sleeper web
  SECONDS=0
  run_skiff exec -d web sh -c 'sleep 2; echo done > /tmp/marker'
  assert_equal "$output" ""
  [ "$SECONDS" -lt 2 ]
  run_skiff 1 exec web cat /tmp/marker
  for _ in $(seq 100); do "$SKIFF" exec web test -s /tmp/marker && break; sleep 0.1; done
  run_skiff exec web cat /tmp/marker
  assert_equal "$output" done
  run_skiff 127 exec -d web no-such-command
  assert_output_contains "executable file not found"
}

@test "exec shares the container's host name and PID namespace" {
  start_sleeper web --hostname inside
  run_skiff exec web hostname
  assert_equal "$output" inside
  run_skiff exec web sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; ps -o pid,args | awk "\$1 == 1 { print \$2, \$3 }"'
  assert_equal "$output" "$(printf 'sleep 1000 \nsleep 1000')"
  # It is not PID 1's sibling on the host: its PID inside is small.
  run_skiff exec web sh -c 'echo $$'
  [ "$output" -lt 100 ]
}

@test "exec gets the container's capabilities, seccomp and no_new_privs; --privileged every capability" {
  start_sleeper web --cap-drop chown --security-opt no-new-privileges
  run_skiff exec web sh -c 'grep -E "^(CapEff|CapBnd|Seccomp|NoNewPrivs):" /proc/1/status; echo; grep -E "^(CapEff|CapBnd|Seccomp|NoNewPrivs):" /proc/self/status'
  init=${output%%$'\n\n'*}
  mine=${output##*$'\n\n'}
  assert_equal "$mine" "$init"
  [[ $mine == *"CapEff:"*"00000000a80425fa"* ]]
  [[ $mine == *"Seccomp:"*"2"* ]]
  [[ $mine == *"NoNewPrivs:"*"1"* ]]
  run_skiff exec --privileged web grep CapBnd /proc/self/status
  last=$(cat /proc/sys/kernel/cap_last_cap)
  assert_equal "$(echo "$output" | cut -f2)" "$(printf '%016x' $(( (1 << (last + 1)) - 1 )))"
  start_sleeper open --security-opt seccomp=unconfined
  run_skiff exec open grep Seccomp: /proc/self/status
  assert_equal "$(echo "$output" | cut -f2)" 0
}

@test "no process in the container is ever the host's skiff binary" {
  before=$(sha256sum "$SKIFF" | cut -d' ' -f1)
  import_rootfs reexec --exec '/evil=#!/proc/self/exe'
  run_skiff create --name web reexec sleep 1000
  run_skiff start web
  # Every process the container has while an exec runs, the exec's own too.
  run_skiff exec web sh -c 'sha256sum /proc/[0-9]*/exe'
  [ -n "$output" ]
  assert_output_not_contains "$before"
  # A script run by /proc/self/exe re-runs the sealed init, not skiff.
  run_skiff 125 exec web /evil
  assert_output_contains "skiff-init: usage"
  run_skiff exec web sh -c 'echo x >> /proc/self/exe && echo wrote; true'
  assert_output_not_contains wrote
  assert_equal "$(sha256sum "$SKIFF" | cut -d' ' -f1)" "$before"
  # No descriptor of ours leaks in.
  run bash -c "exec 7>'$SKIFF_TEST_DIR/leak'; timeout 20 '$SKIFF' exec web ls /proc/self/fd"
  assert_equal "$(echo "$output" | tr '\n' ' ')" "0 1 2 3 "
}

@test "signals to skiff exec reach the command" {
  start_sleeper web
  timeout 30 "$SKIFF" exec web sh -c 'trap "exit 143" TERM; echo ready; while :; do sleep 0.1; done' > "$SKIFF_TEST_DIR/out" &
  pid=$!
  for _ in $(seq 100); do grep -q ready "$SKIFF_TEST_DIR/out" && break; sleep 0.05; done
  kill -TERM $pid
  status=0
  wait $pid || status=$?
  assert_equal "$status" 143
}

@test "a command exec'd into a container that is killed ends with it" {
  start_sleeper web
  timeout 30 "$SKIFF" exec web sh -c 'echo ready; sleep 1000' > "$SKIFF_TEST_DIR/out" &
  pid=$!
  for _ in $(seq 100); do grep -q ready "$SKIFF_TEST_DIR/out" && break; sleep 0.05; done
  run_skiff rm -f web
  status=0
  wait $pid || status=$?
  assert_equal "$status" 137
}
