# Shared by the network tests (060, 062): host-side peers (net_tool.py),
# waits, and the busybox web servers they run. `load net_helpers` after
# `load helpers`.

NET_TOOL=$BATS_TEST_DIRNAME/net_tool.py

per_test_setup() {
  import_busybox
  PEER_PIDS=()
}

per_test_teardown() {
  remove_all_containers
  # A user-defined network's process ends once its last member has gone.
  wait_no_processes "__network .*$SKIFF_TEST_DIR"
  local pid
  for pid in "${PEER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
}

# net ARGS...: net_tool.py on the host.
net() { python3 "$NET_TOOL" "$@"; }

# start_peer NAME ARGS...: net_tool.py ARGS in the background, its output in
# $SKIFF_TEST_DIR/NAME.log; ARGS name $SKIFF_TEST_DIR/NAME.port as the port
# file, which it waits for; sets PEER_PORT.
start_peer() {
  local name=$1
  shift
  python3 "$NET_TOOL" "$@" >"$SKIFF_TEST_DIR/$name.log" 2>&1 3>&- &
  PEER_PIDS+=($!)
  for _ in $(seq 100); do
    [ -s "$SKIFF_TEST_DIR/$name.port" ] && break
    sleep 0.05
  done
  PEER_PORT=$(cat "$SKIFF_TEST_DIR/$name.port")
}

# The host's own non-loopback IPv4 address (the one a route out uses);
# skips the test when it has none.
host_address() {
  local address
  address=$(ip -4 route get 1.0.0.0 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p' | head -1)
  [ -n "$address" ] || address=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -m1 '^[0-9.]*$' || true)
  if [ -z "$address" ] || [[ $address == 127.* ]]; then
    skip "this host has no non-loopback IPv4 address"
  fi
  echo "$address"
}

# Flags that let a busybox container run the host's python3 (for UDP
# peers, which busybox's nc can't be): /usr, /lib and /lib64 read-only, and
# this folder at /t. Sets CTR_PY to the interpreter's path in there.
python_flags() {
  CTR_PY=$(readlink -f "$(command -v python3)")
  [[ $CTR_PY == /usr/* ]] || skip "python3 is not under /usr"
  PY_FLAGS=(-v /usr:/usr:ro -v "$BATS_TEST_DIRNAME:/t:ro")
  local dir
  for dir in /lib /lib64; do
    [ -e "$dir" ] && PY_FLAGS+=(-v "$(readlink -f "$dir"):$dir:ro")
  done
}

# Sets DNS_NAME, a name that exists nowhere (its answer is the same from
# any resolver and never needs the internet), and HOST_ANSWER, what the
# host's first resolver says of it; skips the test when it says nothing.
host_dns_answer() {
  local server
  server=$(awk '$1 == "nameserver" { print $2; exit }' /etc/resolv.conf)
  [ -n "$server" ] || skip "the host's /etc/resolv.conf names no nameserver"
  DNS_NAME=skiff-e2e-test.invalid
  HOST_ANSWER=$(net dns "$DNS_NAME" "$server")
  [ "$HOST_ANSWER" != "no answer" ] || skip "the host's resolver $server does not answer"
}

# The processes matching PATTERN (an ID, say) that are still alive (not zombies).
live_processes() {
  local pid out=""
  for pid in $(pgrep -u "$(id -u)" -f "$1" || true); do
    [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] || out+="$pid "
  done
  echo "$out"
}

# wait_no_processes PATTERN: up to 5 s for every process whose command line
# matches PATTERN (an ID, say) to be gone.
wait_no_processes() {
  for _ in $(seq 100); do
    [ -z "$(live_processes "$1")" ] && return 0
    sleep 0.05
  done
  echo "processes of $1 still alive: $(live_processes "$1")"
  ps -o pid,ppid,stat,args -p "$(live_processes "$1" | tr ' ' ',')0" || true
  return 1
}

# wait_bindable PORT PROTO: up to 5 s for the host to let us bind PORT.
wait_bindable() {
  for _ in $(seq 100); do
    net bind "$1" "$2" >/dev/null && return 0
    sleep 0.05
  done
  echo "port $1/$2 is still taken: $(net bind "$1" "$2")"
  return 1
}

# http_until HOST PORT PATH BODY: up to 10 s for GET PATH to answer BODY.
http_until() {
  local got=""
  for _ in $(seq 50); do
    got=$(net http-get "$1" "$2" "$3" 2 2>/dev/null) || true
    [ "$got" = "$4" ] && return 0
    sleep 0.2
  done
  echo "GET http://$1:$2$3: \"$got\", expected \"$4\""
  return 1
}

# A busybox httpd serving TEXT at /i on container port 8080 (as PID 1).
WEB='mkdir -p /www && echo "$TEXT" > /www/i && exec httpd -f -p 8080 -h /www'

# A web server whose /i is the number of times the container ran.
COUNTING_WEB='mkdir -p /www && echo x >> /www/n && wc -l < /www/n > /www/i && exec httpd -f -p 8080 -h /www'
