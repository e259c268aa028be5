#!/usr/bin/env bats
# The container inspection verbs: top, port, stats, diff, pause/unpause,
# container prune, and the resource limit flags of run/create (refused on a
# host that can't enforce them).
load helpers

per_test_setup() { import_busybox; }

# Every container of the test is gone, with its monitor, before the
# teardown looks for leftover processes.
per_test_teardown() { remove_all_containers; }

# The container's store folders, for "nothing was created" checks.
container_dirs() { ls -A "$SKIFF_ROOT/containers" 2>/dev/null | grep -v '^\.names$' || true; }

# wait_for_processes CONTAINER N: until the container has N processes.
wait_for_processes() {
  for _ in $(seq 100); do
    [ "$("$SKIFF" top "$1" 2>/dev/null | tail -n +2 | wc -l)" -ge "$2" ] && return 0
    sleep 0.05
  done
  echo "container $1 never had $2 processes: $("$SKIFF" top "$1" 2>&1)"
  return 1
}

# ---- top ------------------------------------------------------------------

@test "top lists the container's processes with ps -ef's columns, as the host's ps -ef shows them" {
  run_skiff run -d --name tp busybox sh -c 'sleep 101 & sleep 102 & wait'
  wait_for_processes tp 3
  init=$("$SKIFF" inspect -f '{{.State.Pid}}' tp)
  run_skiff top tp
  header=$(printf '%-20s' UID PID PPID C STIME TTY TIME)CMD
  assert_equal "${lines[0]}" "$header"
  [ "${#lines[@]}" -eq 4 ]
  assert_output_contains "sleep 101"
  assert_output_contains "sleep 102"
  # Each row is the host's own `ps -ef` line for that PID, cell by cell;
  # C (CPU use over the life so far) may have moved on between the two.
  for line in "${lines[@]:1}"; do
    read -r -a ours <<<"$line"
    read -r -a host <<<"$(ps -ef | awk -v pid="${ours[1]}" '$2 == pid')"
    [[ ${ours[3]} =~ ^[0-9]{1,2}$ ]]
    ours[3]=C host[3]=C
    assert_equal "${ours[*]}" "${host[*]}"
  done
  pids=$(awk 'NR > 1 { print $2 }' <<<"$output")
  grep -qx "$init" <<<"$pids"
  # The monitor, the init's parent, is not the container's.
  monitor=$(awk '{print $4}' "/proc/$init/stat")
  ! grep -qx "$monitor" <<<"$pids"
  run_skiff container top tp
  [ "${#lines[@]}" -eq 4 ]
}

@test "top shows processes of the container's other users (subordinate uids)" {
  has_subids || skip "needs a subuid range"
  run_skiff run -d --name users -u 1000 busybox sleep 103
  wait_for_processes users 1
  run_skiff top users
  line=$(grep 'sleep 103' <<<"$output")
  # Container uid 1000 is the 1000th ID of the range; it has no name on the host.
  host_uid=$(awk -F: -v user="$(id -un)" '$1 == user { print $2 + 999; exit }' /etc/subuid)
  [[ $line == "$host_uid "* ]] || { echo "expected uid $host_uid in: $line"; return 1; }
}

@test "top passes ps options to the host's ps and keeps the container's lines" {
  run_skiff run -d --name po busybox sh -c 'sleep 105 & wait'
  wait_for_processes po 2
  run_skiff top po -o pid,args
  [[ ${lines[0]} =~ ^PID\ +COMMAND$ ]]
  [ "${#lines[@]}" -eq 3 ]
  assert_output_contains "sleep 105"
  # A host process (this shell) never shows.
  assert_output_not_contains "bats"
  run_skiff top po aux
  [[ ${lines[0]} == USER* ]]
  [ "${#lines[@]}" -eq 3 ]
  # Options after CONTAINER are ps's even when skiff knows them too:
  # ps --help prints no PID column.
  run_skiff 125 top po --help
  assert_skiff_error "Couldn't find PID field in ps output"
  run_skiff 125 top po -o comm
  assert_skiff_error "Couldn't find PID field in ps output"
  run_skiff 125 top po -o user=PID
  assert_skiff_error 'specifying "user=PID" is not allowed'
  run_skiff 125 top po --no-such-ps-option
  assert_skiff_error "ps:"
}

@test "top of a stopped, created or missing container is an error" {
  run_skiff run --name done busybox true
  run_skiff 125 top done
  assert_skiff_error "container done is not running"
  run_skiff create --name fresh busybox true
  run_skiff 125 top fresh
  assert_skiff_error "is not running"
  run_skiff 125 top nosuch
  assert_skiff_error "No such container: nosuch"
  run_skiff 125 top
  assert_skiff_error "requires an argument"
}

# ---- port -----------------------------------------------------------------

@test "port: a container without published ports prints nothing, a given port is an error" {
  run_skiff run -d --name pp busybox sleep 60
  run_skiff_split port pp
  assert_equal "$output" ""
  assert_equal "$stderr" ""
  run_skiff 125 port pp 80/tcp
  assert_equal "$output" "skiff: No public port '80/tcp' published for pp"
  run_skiff 125 container port pp 53/udp
  assert_equal "$output" "skiff: No public port '53/udp' published for pp"
  run_skiff 125 port pp http
  assert_skiff_error "invalid port (http)"
  run_skiff 125 port nosuch
  assert_skiff_error "No such container: nosuch"
  # A stopped container too.
  run_skiff create --name stopped busybox true
  run_skiff port stopped
  assert_equal "$output" ""
}

# ---- stats ----------------------------------------------------------------

@test "stats --no-stream: docker's columns for the running containers" {
  # No network: nothing moves, so NET I/O reads 0B / 0B.
  run_skiff run -d --name idle --network none busybox sh -c 'sleep 106 & wait'
  run_skiff create --name never busybox true
  wait_for_processes idle 2
  id=$("$SKIFF" inspect -f '{{.Id}}' idle)
  run_skiff stats --no-stream
  [ "${#lines[@]}" -eq 2 ]
  header="CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT"
  [[ ${lines[0]} == "$header"* ]]
  [[ ${lines[0]} =~ MEM\ %\ +NET\ I/O\ +BLOCK\ I/O\ +PIDS$ ]]
  read -r -a cells <<<"${lines[1]}"
  assert_equal "${cells[0]}" "${id:0:12}"
  assert_equal "${cells[1]}" idle
  [[ ${cells[2]} =~ ^[0-9]+\.[0-9]{2}%$ ]]
  [[ ${cells[3]} =~ ^[0-9.]+(B|KiB|MiB)$ ]]
  # The limit is the host's memory.
  total_kib=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
  limit=$(awk -v k="$total_kib" 'BEGIN { printf "%.4g", k / 1048576 }')GiB
  assert_equal "${cells[5]}" "$limit"
  [[ ${cells[6]} =~ ^[0-9]+\.[0-9]{2}%$ ]]
  assert_equal "${cells[7]} ${cells[8]} ${cells[9]}" "0B / 0B"
  # sh and its sleep: two processes of one thread each.
  assert_equal "${cells[13]}" 2
  # -a adds the created container, all zeros.
  run_skiff stats --no-stream -a --format '{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.NetIO}}|{{.BlockIO}}|{{.PIDs}}'
  assert_output_contains "never|0.00%|0B / 0B|0B / 0B|0B / 0B|0"
  assert_output_contains "idle|"
}

@test "stats measures CPU and block I/O of the container's processes" {
  run_skiff run -d --name busy busybox sh -c 'while :; do :; done'
  run_skiff run -d --name writer busybox sh -c 'dd if=/dev/zero of=/big bs=1M count=8 2>/dev/null; sync; sleep 60'
  sleep 1
  run_skiff stats --no-stream --format '{{.Name}} {{.CPUPerc}} {{.BlockIO}}' busy writer
  busy_cpu=$(awk '$1 == "busy" { sub("%", "", $2); print $2 }' <<<"$output")
  awk -v c="$busy_cpu" 'BEGIN { exit !(c > 2) }' || { echo "busy CPU: $output"; return 1; }
  writes=$(awk '$1 == "writer" { print $5 }' <<<"$output")
  [[ $writes =~ ^[0-9.]+MB$ ]] || { echo "writer block I/O: $output"; return 1; }
  awk -v w="${writes%MB}" 'BEGIN { exit !(w >= 8) }' || { echo "writer wrote $writes"; return 1; }
}

@test "stats --format json, named containers, and their errors" {
  run_skiff run -d --name js busybox sleep 60
  run_skiff stats --no-stream --format json js
  [ "${#lines[@]}" -eq 1 ]
  python3 -c '
import json, sys
row = json.loads(sys.argv[1])
assert list(row) == ["BlockIO", "CPUPerc", "Container", "ID", "MemPerc", "MemUsage", "Name", "NetIO", "PIDs"], row
assert row["Container"] == "js" and row["Name"] == "js" and row["PIDs"] == "1", row
' "$output"
  run_skiff stats --no-stream --no-trunc --format '{{.ID}}' js
  assert_equal "$output" "$("$SKIFF" inspect -f '{{.Id}}' js)"
  run_skiff 125 stats --no-stream js nosuch
  assert_skiff_error "No such container: nosuch"
  run_skiff 125 stats --no-stream --format '{{.Nope'
  assert_skiff_error "template"
  # No container: just the header.
  run_skiff rm -f js
  run_skiff stats --no-stream
  [ "${#lines[@]}" -eq 1 ]
}

@test "stats without --no-stream prints a table every second until stopped" {
  run_skiff run -d --name st busybox sleep 60
  run timeout 3.5 "$SKIFF" stats --format '{{.Name}}' st
  [ "$status" -eq 124 ]
  # Not a terminal: the tables follow one another, without escape codes.
  [ "$(grep -c '^st$' <<<"$output")" -ge 2 ]
  assert_output_not_contains $'\033'
  # On a terminal each table replaces the last, as docker draws it.
  if command -v script >/dev/null; then
    run timeout 2.5 script -qec "$SKIFF stats --format '{{.Name}}' st" /dev/null
    [[ $output == *$'\033[2J\033[H'* ]]
  fi
  # A reader that goes away ends it quietly.
  timeout 10 "$SKIFF" stats --format '{{.Name}}' st 2>"$SKIFF_TEST_DIR/err" | head -1
  [ "${PIPESTATUS[0]}" -eq 0 ]
  assert_equal "$(cat "$SKIFF_TEST_DIR/err")" ""
}

# ---- diff -----------------------------------------------------------------

# The changes every driver must report for the same commands.
diff_commands='echo x > /tmp/new; rm /bin/vi; mkdir -p /a/b; echo y >> /etc/passwd; rm -rf /var; mkdir -p /var/new; ln -s / /escape'
diff_expected='A /a
A /a/b
C /bin
D /bin/vi
A /escape
C /etc
C /etc/passwd
C /tmp
A /tmp/new
C /var
A /var/new
D /var/tmp'

@test "diff lists added, changed and deleted paths in docker's order (native overlay)" {
  run_skiff create --name d1 busybox sh -c "$diff_commands"
  run_skiff_split diff d1
  assert_equal "$output" ""
  run_skiff start -a d1
  run_skiff diff d1
  assert_equal "$output" "$diff_expected"
  # The symlink to / is not followed; skiff's mount points never show.
  assert_output_not_contains "/etc/hosts"
  run_skiff container diff d1
  assert_equal "$output" "$diff_expected"
}

@test "diff compares a vfs container's copy with its image" {
  run_skiff --storage-driver vfs create --name d2 busybox sh -c "$diff_commands"
  run_skiff diff d2
  assert_equal "$output" ""
  run_skiff start -a d2
  run_skiff diff d2
  assert_equal "$output" "$diff_expected"
}

@test "diff of a running container, and of files only the container's users can read" {
  has_subids || skip "needs a subuid range"
  run_skiff run -d --name d3 busybox sh -c 'mkdir -m 700 /secret; echo s > /secret/f; chown -R 1000:1000 /secret; sleep 60'
  for _ in $(seq 100); do "$SKIFF" diff d3 | grep -q /secret/f && break; sleep 0.05; done
  run_skiff diff d3
  assert_equal "$output" "$(printf 'A /secret\nA /secret/f')"
  # The user can't read the folder itself: the listing came from the user namespace.
  [ ! -r "$SKIFF_ROOT/containers/$("$SKIFF" inspect -f '{{.Id}}' d3)/upper/secret" ]
}

@test "diff never follows the image's symlinks out of the container's root" {
  import_rootfs linked --symlink /hostlink=/ --symlink /up=../../../../..
  for driver in native vfs; do
    run_skiff --storage-driver "$driver" run --name "l-$driver" linked sh -c \
      'rm /hostlink /up; mkdir -p /hostlink/etc /up/etc; echo x > /hostlink/etc/passwd; echo x > /up/etc/passwd'
    run_skiff diff "l-$driver"
    # The host's /etc exists; the image's never had these paths.
    assert_equal "$output" "$(printf '%s\n' 'C /hostlink' 'A /hostlink/etc' 'A /hostlink/etc/passwd' \
      'C /up' 'A /up/etc' 'A /up/etc/passwd')"
  done
}

@test "diff of a missing container is an error" {
  run_skiff 125 diff nosuch
  assert_skiff_error "No such container: nosuch"
}

# ---- pause / unpause ------------------------------------------------------

# Pausing (the cgroup v2 freezer) is tested in 055-cgroups.bats.

# ---- resource limits ------------------------------------------------------

@test "resource limits this host can't enforce are refused at create, naming the flag, with nothing created" {
  for flags in "-m 512m" "--memory=1g" "--memory 64m --memory-swap 128m" "--cpus 1" "--cpu-shares 512" "-c 2" \
    "--pids-limit 50"; do
    # shellcheck disable=SC2086
    run_skiff 125 create $flags busybox true
    assert_skiff_error "can't be enforced on this host"
    assert_output_contains "Delegate=yes"
    first=${flags%% *}
    case $first in
      -m | --memory=1g) assert_output_contains "--memory" ;;
      -c) assert_output_contains "--cpu-shares" ;;
      *) assert_output_contains "$first" ;;
    esac
  done
  run_skiff 125 run --rm -m 512m --cpus 1 busybox echo ran
  assert_output_not_contains "ran"
  assert_output_contains "--memory and --cpus can't be enforced"
  # Refused before the image is looked for (or pulled).
  run_skiff 125 create -m 512m no-such-image
  assert_output_contains "--memory"
  assert_output_not_contains "Unable to find image"
  [ -z "$(container_dirs)" ]
  run_skiff ps -aq
  assert_equal "$output" ""
}

@test "resource limit values are checked as docker checks them" {
  run_skiff 125 create -m lots busybox true
  assert_skiff_error "invalid --memory \`lots\`: invalid size: 'lots'"
  run_skiff 125 create -m 1m busybox true
  assert_skiff_error "Minimum memory limit allowed is 6MB"
  run_skiff 125 create --memory-swap 1g busybox true
  assert_skiff_error "You should always set the Memory limit when using Memoryswap limit"
  run_skiff 125 create --cpus many busybox true
  assert_skiff_error "invalid --cpus \`many\`"
  run_skiff 125 create --cpus 100000 busybox true
  assert_skiff_error "Range of CPUs is from 0.01 to"
  run_skiff 125 create --pids-limit x busybox true
  assert_skiff_error
  [ -z "$(container_dirs)" ]
}

@test "limits that ask for nothing are accepted and recorded as docker inspect shows them" {
  run_skiff create --name free --pids-limit -1 --memory 0 busybox true
  run_skiff inspect -f '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.CpuShares}} {{.HostConfig.PidsLimit}}' free
  assert_equal "$output" "0 0 0 0 -1"
  run_skiff create --name plain busybox true
  run_skiff inspect -f '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}' plain
  assert_equal "$output" "0 <nil>"
}

# ---- container prune ------------------------------------------------------

@test "container prune -f removes the stopped containers and keeps the running ones" {
  run_skiff run --name exited1 busybox sh -c 'echo data > /file'
  exited=$("$SKIFF" inspect -f '{{.Id}}' exited1)
  run_skiff create --name created1 busybox true
  created=$("$SKIFF" inspect -f '{{.Id}}' created1)
  run_skiff run -d --name running1 busybox sleep 60
  run_skiff container prune -f
  assert_equal "${lines[0]}" "Deleted Containers:"
  [ "${#lines[@]}" -eq 4 ]
  [[ " ${lines[1]} ${lines[2]} " == *" $exited "* ]]
  [[ " ${lines[1]} ${lines[2]} " == *" $created "* ]]
  [[ ${lines[3]} =~ ^Total\ reclaimed\ space:\ [0-9.]+k?B$ ]]
  run_skiff ps -a --format '{{.Names}}'
  assert_equal "$output" running1
  # Their names are free again.
  run_skiff create --name exited1 busybox true
  # Nothing to prune: only the total.
  run_skiff rm exited1
  run_skiff container prune --force
  assert_equal "$output" "Total reclaimed space: 0B"
}

@test "container prune asks on a terminal and refuses without -f in a script" {
  run_skiff run --name gone busybox true
  run_skiff 125 container prune </dev/null
  assert_skiff_error "use -f"
  run_skiff ps -aq
  [ -n "$output" ]
  command -v script >/dev/null || skip "script(1) is not installed"
  run bash -c 'echo n | script -qec "$0 container prune" /dev/null' "$SKIFF"
  [[ $output == *"WARNING! This will remove all stopped containers."* ]]
  [[ $output == *"Are you sure you want to continue? [y/N]"* ]]
  [[ $output == *"container prune has been cancelled"* ]]
  run_skiff ps -aq
  [ -n "$output" ]
  run bash -c 'echo y | script -qec "$0 container prune" /dev/null' "$SKIFF"
  [[ $output == *"Deleted Containers:"* ]]
  run_skiff ps -aq
  assert_equal "$output" ""
}

@test "container prune --filter: label and until" {
  run_skiff run --name keep -l keep=yes busybox true
  run_skiff run --name drop busybox true
  run_skiff container prune -f --filter label!=keep
  [ "${#lines[@]}" -eq 3 ]
  run_skiff ps -a --format '{{.Names}}'
  assert_equal "$output" keep
  run_skiff container prune -f --filter until=1h
  assert_equal "$output" "Total reclaimed space: 0B"
  run_skiff container prune -f --filter label=keep=no
  assert_equal "$output" "Total reclaimed space: 0B"
  run_skiff container prune -f --filter label=keep=yes
  [ "${#lines[@]}" -eq 3 ]
  run_skiff run --name again busybox true
  run_skiff 125 container prune -f --filter dangling=true
  assert_skiff_error "invalid filter \`dangling\`: the filters here are until, label"
  run_skiff 125 container prune -f --filter until=someday
  assert_skiff_error "invalid filter value \`until=someday\`"
  run_skiff ps -a --format '{{.Names}}'
  assert_equal "$output" again
}
