# Shared by every test/e2e/*.bats file: `load helpers`.
# Each test gets a private store (SKIFF_ROOT) and runtime dir, removed after
# the test, and a check that the test left nothing behind.

# `run -127` (see run_skiff) needs bats 1.5; Debian 12 has 1.8.
bats_require_minimum_version 1.5.0

SKIFF=${SKIFF:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build/skiff}
SKIFF_TEST_TIMEOUT=${SKIFF_TEST_TIMEOUT:-120}
# Native overlayfs works for unprivileged users on the CI machine.
export SKIFF_EXPECT_NATIVE_OVERLAY=${SKIFF_EXPECT_NATIVE_OVERLAY:-1}

setup() {
  SKIFF_TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/skiff-e2e.XXXXXX")
  export SKIFF_ROOT=$SKIFF_TEST_DIR/root
  export SKIFF_RUNROOT=$SKIFF_TEST_DIR/run
  # Without a subordinate range, the first container of a store warns once;
  # tests that check output start past that (030-run.bats tests the warning).
  mkdir -m 700 -p "$SKIFF_ROOT" && touch "$SKIFF_ROOT/.warned-single-id"
  if type -t per_test_setup >/dev/null; then per_test_setup; fi
}

teardown() {
  if type -t per_test_teardown >/dev/null; then per_test_teardown; fi
  local leftovers=""
  if [ -d "$SKIFF_ROOT/layers" ]; then
    leftovers=$(find "$SKIFF_ROOT/layers" "$SKIFF_ROOT/images" "$SKIFF_ROOT/blobs" "$SKIFF_ROOT/containers" \
      "$SKIFF_ROOT/volumes" -maxdepth 2 \
      -name '.tmp-*' -o -maxdepth 2 -name '.trash-*' 2>/dev/null | head -5)
  fi
  local procs
  procs=$(pgrep -u "$(id -u)" -f "$SKIFF_TEST_DIR" 2>/dev/null | grep -v "^$$\$" || true)
  "$SKIFF" system reset --force >/dev/null 2>&1 || true
  rm -rf "$SKIFF_TEST_DIR" 2>/dev/null || true
  if [ -n "$leftovers" ]; then
    echo "# test left temporary store objects behind:" >&3
    echo "$leftovers" | sed 's/^/#   /' >&3
    return 1
  fi
  if [ -n "$procs" ]; then
    echo "# test left processes behind: $procs" >&3
    return 1
  fi
}

# run_skiff [expected_rc] ARGS...: runs skiff with a timeout, checks the exit
# code (default 0). Sets $output (stdout+stderr), $status and $lines.
run_skiff() {
  local expected=0
  if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then
    expected=$1
    shift
  fi
  # bats warns about 127 ("command not found") unless told it is expected.
  if [ "$expected" -eq 127 ]; then
    run -127 timeout "$SKIFF_TEST_TIMEOUT" "$SKIFF" "$@"
  else
    run timeout "$SKIFF_TEST_TIMEOUT" "$SKIFF" "$@"
  fi
  if [ "$status" -ne "$expected" ]; then
    echo "skiff $*: exit code $status, expected $expected"
    echo "output: $output"
    return 1
  fi
}

# run_skiff_split [expected_rc] ARGS...: like run_skiff with stdout in
# $output and stderr in $stderr.
run_skiff_split() {
  local expected=0
  if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then
    expected=$1
    shift
  fi
  local errfile=$SKIFF_TEST_DIR/stderr
  status=0
  output=$(timeout "$SKIFF_TEST_TIMEOUT" "$SKIFF" "$@" 2>"$errfile") || status=$?
  stderr=$(cat "$errfile")
  if [ "$status" -ne "$expected" ]; then
    echo "skiff $*: exit code $status, expected $expected"
    echo "stdout: $output"
    echo "stderr: $stderr"
    return 1
  fi
}

assert_output_contains() {
  if [[ "$output" != *"$1"* ]]; then
    echo "expected output to contain: $1"
    echo "output: $output"
    return 1
  fi
}

assert_output_not_contains() {
  if [[ "$output" == *"$1"* ]]; then
    echo "expected output not to contain: $1"
    echo "output: $output"
    return 1
  fi
}

assert_equal() {
  if [ "$1" != "$2" ]; then
    echo "expected: $2"
    echo "actual:   $1"
    return 1
  fi
}

# An error in skiff's one shape: "skiff: <what>: <why>", nothing else.
assert_skiff_error() {
  local text=${1:-}
  if [[ "$output" != "skiff: "* ]]; then
    echo "expected an error starting with 'skiff: ', got: $output"
    return 1
  fi
  if [[ "$output" == *"terminate called"* || "$output" == *"what():"* || "$output" == *"Sanitizer"* ]]; then
    echo "raw crash text in: $output"
    return 1
  fi
  [ -z "$text" ] || assert_output_contains "$text"
}

# Removes every container of the store, with its monitor, so that the
# teardown finds no leftover processes (a per_test_teardown for files that
# run containers in the background).
remove_all_containers() {
  local ids
  ids=$("$SKIFF" ps -aq 2>/dev/null) || true
  # shellcheck disable=SC2086
  [ -z "$ids" ] || "$SKIFF" rm -f $ids >/dev/null 2>&1 || true
}

# churn_containers N: starts N background jobs that each run, stop and
# remove a busybox container three times (for readers tested while the
# store changes); `wait` for them.
churn_containers() {
  for _ in $(seq "$1"); do
    (
      for _ in 1 2 3; do
        id=$("$SKIFF" run -d busybox sleep 30) || exit 1
        "$SKIFF" stop -t 0 "$id" >/dev/null || exit 1
        "$SKIFF" rm "$id" >/dev/null || exit 1
      done
    ) &
  done
}

# wait_for_inspect CONTAINER TEMPLATE VALUE: polls `inspect -f TEMPLATE` for
# up to 10 s until it prints VALUE.
wait_for_inspect() {
  local got=""
  for _ in $(seq 200); do
    got=$("$SKIFF" inspect -f "$2" "$1" 2>/dev/null) || true
    [ "$got" = "$3" ] && return 0
    sleep 0.05
  done
  echo "container $1: $2 is \"$got\", expected \"$3\""
  return 1
}

# The cgroup v2 folder under which skiff makes this shell's containers'
# cgroups (linux/cgroup.h's base): this shell's own, when the user may make
# cgroups in it; prints nothing and fails otherwise.
delegated_cgroup_base() {
  local mount=/sys/fs/cgroup path dir
  [ "$(stat -fc %T "$mount")" = cgroup2fs ] || mount=/sys/fs/cgroup/unified
  [ "$(stat -fc %T "$mount" 2>/dev/null)" = cgroup2fs ] || return 1
  path=$(sed -n 's/^0:://p' /proc/self/cgroup)
  dir=$mount${path%/}
  case $dir in */leaf) dir=${dir%/leaf} ;; esac
  [ -w "$dir" ] && [ -w "$dir/cgroup.procs" ] || return 1
  echo "$dir"
}

# A unique name for objects a test creates.
unique_name() { echo "t$(date +%s%N | tail -c 9)$RANDOM"; }

# The busybox rootfs tarball, made once per run.
busybox_tar() {
  if [ -n "${BUSYBOX_TAR:-}" ] && [ -s "$BUSYBOX_TAR" ]; then
    echo "$BUSYBOX_TAR"
    return
  fi
  local tar=$BATS_RUN_TMPDIR/busybox.tar
  if [ ! -s "$tar" ]; then
    "$BATS_TEST_DIRNAME/../../scripts/mkrootfs-busybox" "$tar.tmp" && mv "$tar.tmp" "$tar"
  fi
  echo "$tar"
}

# import_busybox [NAME]: imports the busybox rootfs, prints nothing.
import_busybox() {
  local name=${1:-busybox}
  "$SKIFF" import "$(busybox_tar)" "$name" >/dev/null
}

# import_rootfs NAME ARGS...: imports busybox changed by make_rootfs.py ARGS.
import_rootfs() {
  local name=$1
  shift
  python3 "$BATS_TEST_DIRNAME/make_rootfs.py" "$(busybox_tar)" "$SKIFF_TEST_DIR/$name.tar" "$@"
  "$SKIFF" import "$SKIFF_TEST_DIR/$name.tar" "$name" >/dev/null
}

# True when this user has a subordinate ID range.
has_subids() { grep -q "^$(id -un):" /etc/subuid 2>/dev/null && command -v newuidmap >/dev/null; }

# serve_once DIR: an HTTP server on a random loopback port that answers one
# request from DIR and exits; sets SERVER_PORT and SERVER_PID.
serve_once() {
  local port_file=$SKIFF_TEST_DIR/server-port
  rm -f "$port_file"
  python3 - "$1" "$port_file" <<'PY' &
import functools, http.server, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
server = http.server.HTTPServer(("127.0.0.1", 0), handler)
open(sys.argv[2], "w").write(str(server.server_address[1]))
server.timeout = 20
server.handle_request()
PY
  SERVER_PID=$!
  for _ in $(seq 50); do [ -s "$port_file" ] && break; sleep 0.1; done
  SERVER_PORT=$(cat "$port_file")
}

# start_registry: Debian's docker-registry on a random loopback port, its
# storage in $BATS_FILE_TMPDIR/registry; exports REGISTRY (host:port),
# REGISTRY_DATA and REGISTRY_PID. Call from setup_file; stop_registry in
# teardown_file.
start_registry() {
  local dir=$BATS_FILE_TMPDIR/registry port
  mkdir -p "$dir/data"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat >"$dir/config.yml" <<YAML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $dir/data}}
http: {addr: 127.0.0.1:$port}
YAML
  docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
  export REGISTRY_PID=$! REGISTRY=127.0.0.1:$port REGISTRY_DATA=$dir/data
  for _ in $(seq 100); do
    curl -sf "http://$REGISTRY/v2/" >/dev/null && return 0
    sleep 0.1
  done
  echo "docker-registry did not start: $(cat "$dir/log")" >&2
  return 1
}

stop_registry() { [ -z "${REGISTRY_PID:-}" ] || kill "$REGISTRY_PID" 2>/dev/null || true; }

# push_image NAME[:TAG] [--v2s2] MAKE_OCI_ARGS...: builds busybox into an OCI
# layout with make_oci.py and copies it (every platform) into the registry
# with skopeo; --v2s2 has skopeo convert it to docker's schema 2.
push_image() {
  local name=$1 dir format=()
  shift
  if [ "${1:-}" = --v2s2 ]; then
    format=(--format v2s2)
    shift
  fi
  dir=$(mktemp -d "$BATS_FILE_TMPDIR/oci.XXXXXX")
  python3 "$BATS_TEST_DIRNAME/make_oci.py" "$(busybox_tar)" "$dir" "$@"
  skopeo --insecure-policy copy --quiet --all "${format[@]}" --dest-tls-verify=false \
    "oci:$dir:latest" "docker://$REGISTRY/$name" >&2
}

# registry_blob DIGEST: the file the registry serves for a blob.
registry_blob() {
  local hex=${1#sha256:}
  echo "$REGISTRY_DATA/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data"
}

# make_test_certificate DIR: a self-signed certificate for 127.0.0.1 and
# localhost (also its own CA) in DIR/cert.pem, its key in DIR/key.pem.
make_test_certificate() {
  mkdir -p "$1"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=skiff-test \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$1/key.pem" -out "$1/cert.pem" 2>/dev/null
}

# bcrypt_hash PASSWORD: an htpasswd bcrypt hash (htpasswd when installed,
# else python3's crypt).
bcrypt_hash() {
  if command -v htpasswd >/dev/null; then
    htpasswd -nbB x "$1" | cut -d: -f2
  else
    python3 -W ignore -c 'import crypt, sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))' "$1"
  fi
}

# start_auth_registry USER PASSWORD: docker-registry over TLS with htpasswd
# auth on a random loopback port; exports AUTH_REGISTRY (host:port),
# AUTH_REGISTRY_CERT (its certificate, which is its own CA) and
# AUTH_REGISTRY_PID. Call from setup_file; stop_auth_registry in teardown_file.
start_auth_registry() {
  local dir=$BATS_FILE_TMPDIR/auth-registry port
  mkdir -p "$dir/data"
  make_test_certificate "$dir"
  echo "$1:$(bcrypt_hash "$2")" >"$dir/htpasswd"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat >"$dir/config.yml" <<YAML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $dir/data}}
http: {addr: 127.0.0.1:$port, tls: {certificate: $dir/cert.pem, key: $dir/key.pem}}
auth: {htpasswd: {realm: skiff-test, path: $dir/htpasswd}}
YAML
  docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
  export AUTH_REGISTRY_PID=$! AUTH_REGISTRY=127.0.0.1:$port AUTH_REGISTRY_CERT=$dir/cert.pem
  for _ in $(seq 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$dir/cert.pem" "https://$AUTH_REGISTRY/v2/")" = 401 ] && return 0
    sleep 0.1
  done
  echo "docker-registry with auth did not start: $(cat "$dir/log")" >&2
  return 1
}

stop_auth_registry() { [ -z "${AUTH_REGISTRY_PID:-}" ] || kill "$AUTH_REGISTRY_PID" 2>/dev/null || true; }

# start_token_server VAR OCI_DIR [token_server.py flags...]: test/e2e/token_server.py
# serving OCI_DIR's image on a random loopback port; exports VAR (host:port),
# VAR_PID and VAR_LOG (a line a request). Stop it with kill "$VAR_PID".
start_token_server() {
  local var=$1 oci=$2 dir
  shift 2
  dir=$(mktemp -d "$BATS_FILE_TMPDIR/token.XXXXXX")
  python3 "$BATS_TEST_DIRNAME/token_server.py" "$oci" "$dir/port" "$dir/log" "$@" 2>"$dir/stderr" &
  export "${var}_PID=$!" "${var}_LOG=$dir/log"
  for _ in $(seq 100); do
    if [ -s "$dir/port" ]; then
      export "$var=127.0.0.1:$(cat "$dir/port")"
      return 0
    fi
    sleep 0.1
  done
  echo "token_server.py did not start: $(cat "$dir/stderr")" >&2
  return 1
}

# start_sleeper NAME [CREATE_FLAGS...]: a running busybox container whose
# command is `sleep 1000`, made by create and start.
start_sleeper() {
  local name=$1
  shift
  run_skiff create --name "$name" "$@" busybox sleep 1000
  run_skiff start "$name"
}
