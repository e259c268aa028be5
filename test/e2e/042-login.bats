#!/usr/bin/env bats
# skiff login / logout and pulls with credentials: Debian's docker-registry
# over TLS with htpasswd (basic auth), and token_server.py for the bearer
# token handshake, expired tokens and redirects to another host.
load helpers

setup_file() {
  start_auth_registry alice s3cret
  local oci
  oci=$(mktemp -d "$BATS_FILE_TMPDIR/oci.XXXXXX")
  python3 "$BATS_TEST_DIRNAME/make_oci.py" "$(busybox_tar)" "$oci" --salt login
  skopeo --insecure-policy copy --quiet --dest-creds alice:s3cret --dest-tls-verify=false \
    "oci:$oci:latest" "docker://$AUTH_REGISTRY/private/app:1"
  export OCI_DIR=$oci
  start_token_server BEARER "$oci"
  start_token_server EXPIRING "$oci" --token-uses 1
  start_token_server BASIC_REDIRECT "$oci" --auth basic --redirect-blobs
  start_token_server BEARER_REDIRECT "$oci" --redirect-blobs
}

teardown_file() {
  stop_auth_registry
  local pid
  for pid in "${BEARER_PID:-}" "${EXPIRING_PID:-}" "${BASIC_REDIRECT_PID:-}" "${BEARER_REDIRECT_PID:-}"; do
    [ -z "$pid" ] || kill "$pid" 2>/dev/null || true
  done
}

# Each test has its own home and runtime folder: credentials and CA files
# never leak between tests or into the test user's real home.
per_test_setup() {
  export HOME=$SKIFF_TEST_DIR/home XDG_RUNTIME_DIR=$SKIFF_TEST_DIR/xdg
  unset REGISTRY_AUTH_FILE XDG_CONFIG_HOME DOCKER_CONFIG
  mkdir -p -m 700 "$HOME" "$XDG_RUNTIME_DIR"
  trust_auth_registry
  AUTH_FILE=$XDG_RUNTIME_DIR/containers/auth.json
}

# The registry's certificate as its CA, where podman looks for a rootless user.
trust_auth_registry() {
  mkdir -p "$HOME/.config/containers/certs.d/$AUTH_REGISTRY"
  cp "$AUTH_REGISTRY_CERT" "$HOME/.config/containers/certs.d/$AUTH_REGISTRY/ca.crt"
}

# The "user:password" an auth file keeps for a key.
stored_auth() {
  python3 -c 'import base64, json, sys; print(base64.b64decode(json.load(open(sys.argv[1]))["auths"][sys.argv[2]]["auth"]).decode())' "$1" "$2"
}

@test "login checks the credentials and keeps them in podman's auth file, mode 0600" {
  run_skiff_split login -u alice -p s3cret "$AUTH_REGISTRY"
  assert_equal "$output" "Login Succeeded!"
  assert_equal "$(stat -c %a "$AUTH_FILE")" 600
  assert_equal "$(stat -c %a "$XDG_RUNTIME_DIR/containers")" 700
  assert_equal "$(stored_auth "$AUTH_FILE" "$AUTH_REGISTRY")" "alice:s3cret"
  run_skiff login --get-login "$AUTH_REGISTRY"
  assert_equal "$output" alice
  # Logging in again replaces the entry; nothing else is written.
  run_skiff login -u alice -p s3cret "$AUTH_REGISTRY"
  assert_equal "$(ls -A "$XDG_RUNTIME_DIR/containers")" auth.json
}

@test "a wrong password is refused and nothing is stored" {
  run_skiff 125 login -u alice -p wrong "$AUTH_REGISTRY"
  assert_equal "$output" "skiff: log in to \`$AUTH_REGISTRY\`: wrong username or password"
  run_skiff 125 login -u mallory -p s3cret "$AUTH_REGISTRY"
  assert_skiff_error "wrong username or password"
  [ ! -e "$AUTH_FILE" ]
  run_skiff 125 login --get-login "$AUTH_REGISTRY"
  assert_skiff_error "not logged into \`$AUTH_REGISTRY\`"
}

@test "--password-stdin; without a terminal, no prompt" {
  run bash -c "printf 's3cret\n' | '$SKIFF' login -u alice --password-stdin '$AUTH_REGISTRY'"
  assert_equal "$status" 0
  assert_equal "$output" "Login Succeeded!"
  assert_equal "$(stored_auth "$AUTH_FILE" "$AUTH_REGISTRY")" "alice:s3cret"
  run_skiff 125 login -u alice "$AUTH_REGISTRY" </dev/null
  assert_skiff_error "no password: give -p or --password-stdin"
  run_skiff 125 login "$AUTH_REGISTRY" </dev/null
  assert_skiff_error "no username: give -u"
  run_skiff 125 login --password-stdin "$AUTH_REGISTRY" </dev/null
  assert_skiff_error "--password-stdin needs --username"
  run_skiff 125 login -u alice -p x --password-stdin "$AUTH_REGISTRY" </dev/null
  assert_skiff_error "mutually exclusive"
}

@test "on a terminal, login asks for the username, then the password without echo" {
  command -v script >/dev/null || skip "script (util-linux) is not installed"
  # script(1) gives skiff a terminal; each answer is typed after its prompt.
  run bash -c "(sleep 1; printf 'alice\\n'; sleep 1; printf 's3cret\\n') | script -qec '$SKIFF login $AUTH_REGISTRY' /dev/null"
  assert_equal "$status" 0
  assert_output_contains "Username: alice"
  assert_output_contains "Password: "
  assert_output_contains "Login Succeeded!"
  assert_output_not_contains "s3cret"
  assert_equal "$(stored_auth "$AUTH_FILE" "$AUTH_REGISTRY")" "alice:s3cret"
}

@test "pull uses the credentials login stored; without them the error says skiff login" {
  run_skiff 125 pull "$AUTH_REGISTRY/private/app:1"
  assert_skiff_error "the registry needs credentials: run \`skiff login $AUTH_REGISTRY\`"
  run_skiff images -q
  assert_equal "$output" ""
  run_skiff login -u alice -p s3cret "$AUTH_REGISTRY"
  run_skiff pull -q "$AUTH_REGISTRY/private/app:1"
  assert_equal "$output" "$AUTH_REGISTRY/private/app:1"
  run_skiff run --rm "$AUTH_REGISTRY/private/app:1" sh -c 'head -c 5 /salt'
  assert_equal "$output" login
}

@test "pull reads ~/.docker/config.json, and a stale password there is an error" {
  mkdir -p "$HOME/.docker"
  printf '{"auths":{"https://%s/v1/":{"auth":"%s"}}}' "$AUTH_REGISTRY" "$(printf alice:s3cret | base64)" \
    >"$HOME/.docker/config.json"
  run_skiff pull -q "$AUTH_REGISTRY/private/app:1"
  assert_equal "$output" "$AUTH_REGISTRY/private/app:1"
  # podman's file comes first.
  mkdir -p "$XDG_RUNTIME_DIR/containers"
  printf '{"auths":{"%s":{"auth":"%s"}}}' "$AUTH_REGISTRY" "$(printf alice:old | base64)" >"$AUTH_FILE"
  run_skiff 125 pull "$AUTH_REGISTRY/private/app:1"
  assert_skiff_error "wrong username or password"
}

@test "credentials kept by a docker credential helper get a warning, not a crash" {
  mkdir -p "$HOME/.docker"
  printf '{"auths":{"%s":{}},"credsStore":"desktop"}' "$AUTH_REGISTRY" >"$HOME/.docker/config.json"
  run_skiff_split 125 pull "$AUTH_REGISTRY/private/app:1"
  [[ $stderr == *"skiff: warning: \`$HOME/.docker/config.json\` keeps the credentials for \`$AUTH_REGISTRY\` in docker-credential-desktop"* ]] ||
    { echo "stderr: $stderr"; return 1; }
  [[ $stderr == *"skiff login $AUTH_REGISTRY"* ]]
}

@test "logout removes that registry's entry only, and says when there is none" {
  run_skiff login -u alice -p s3cret "$AUTH_REGISTRY"
  run_skiff login -u alice -p s3cret "$BEARER"
  python3 - "$AUTH_FILE" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["credHelpers"] = {"gcr.io": "gcloud"}
json.dump(doc, open(sys.argv[1], "w"))
PY
  run_skiff logout "$AUTH_REGISTRY"
  assert_equal "$output" "Removed login credentials for $AUTH_REGISTRY"
  assert_equal "$(stored_auth "$AUTH_FILE" "$BEARER")" "alice:s3cret"
  assert_equal "$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(sorted(d["auths"]), d["credHelpers"])' "$AUTH_FILE")" \
    "['$BEARER'] {'gcr.io': 'gcloud'}"
  assert_equal "$(stat -c %a "$AUTH_FILE")" 600
  run_skiff 125 logout "$AUTH_REGISTRY"
  assert_equal "$output" "skiff: not logged into \`$AUTH_REGISTRY\`"
  # Docker's file is read, never changed.
  mkdir -p "$HOME/.docker"
  printf '{"auths":{"%s":{"auth":"%s"}}}' "$AUTH_REGISTRY" "$(printf alice:s3cret | base64)" >"$HOME/.docker/config.json"
  run_skiff 125 logout "$AUTH_REGISTRY"
  assert_skiff_error "not logged into \`$AUTH_REGISTRY\` with skiff (\`$HOME/.docker/config.json\` holds credentials for it"
  run_skiff logout -a
  assert_equal "$output" "Removed login credentials for all registries"
  assert_equal "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["auths"])' "$AUTH_FILE")" "{}"
}

@test "--authfile and REGISTRY_AUTH_FILE name the file" {
  run_skiff login --authfile "$SKIFF_TEST_DIR/mine.json" -u alice -p s3cret "$AUTH_REGISTRY"
  assert_equal "$(stored_auth "$SKIFF_TEST_DIR/mine.json" "$AUTH_REGISTRY")" "alice:s3cret"
  [ ! -e "$AUTH_FILE" ]
  REGISTRY_AUTH_FILE=$SKIFF_TEST_DIR/mine.json run_skiff pull -q "$AUTH_REGISTRY/private/app:1"
  run_skiff logout --authfile "$SKIFF_TEST_DIR/mine.json" "$AUTH_REGISTRY"
  assert_equal "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["auths"])' "$SKIFF_TEST_DIR/mine.json")" "{}"
}

@test "TLS: an unknown CA is refused; certs.d or --tls-verify=false lets it in" {
  rm -r "$HOME/.config/containers/certs.d"
  run_skiff 125 login -u alice -p s3cret "$AUTH_REGISTRY"
  assert_skiff_error "log in to \`$AUTH_REGISTRY\`: GET https://$AUTH_REGISTRY/v2/"
  assert_output_contains "certificate"
  [ ! -e "$AUTH_FILE" ]
  run_skiff login --tls-verify=false -u alice -p s3cret "$AUTH_REGISTRY"
  assert_equal "$output" "Login Succeeded!"
  run_skiff 125 pull "$AUTH_REGISTRY/private/app:1"
  assert_output_contains "certificate"
  run_skiff pull -q --tls-verify=false "$AUTH_REGISTRY/private/app:1"
}

@test "a bearer token server: a token asked for with the credentials, anonymous without" {
  run_skiff 125 pull "$BEARER/private/app"
  assert_skiff_error "access denied (the repository may not exist, or needs \`skiff login $BEARER\`)"
  grep -q "GET /token?service=token_server&scope=repository%3Aprivate%2Fapp%3Apull auth=- token=anonymous" "$BEARER_LOG"
  run_skiff 125 login -u alice -p wrong "$BEARER"
  assert_equal "$output" "skiff: log in to \`$BEARER\`: wrong username or password"
  run_skiff login -u alice -p s3cret "$BEARER"
  assert_equal "$output" "Login Succeeded!"
  run_skiff pull -q "$BEARER/private/app"
  assert_equal "$output" "$BEARER/private/app:latest"
  grep -q "scope=repository%3Aprivate%2Fapp%3Apull auth=Basic token=issued" "$BEARER_LOG"
  # The registry itself only ever saw the token.
  ! grep -v '^GET /token' "$BEARER_LOG" | grep -q "auth=Basic"
}

@test "an expired token is asked for again, once a request" {
  run_skiff login -u alice -p s3cret "$EXPIRING"
  run_skiff pull -q "$EXPIRING/private/app"
  assert_equal "$output" "$EXPIRING/private/app:latest"
  # Every token served one request: each later request was refused once and
  # got a new one.
  [ "$(grep -c 'token=issued' "$EXPIRING_LOG")" -ge 4 ]
  [ "$(grep -c ' denied' "$EXPIRING_LOG")" -ge 4 ]
}

@test "credentials never follow a redirect to another host" {
  for server in BASIC_REDIRECT BEARER_REDIRECT; do
    registry=${!server}
    log_var=${server}_LOG
    run_skiff login -u alice -p s3cret "$registry"
    run_skiff pull -q "$registry/private/app"
    assert_equal "$output" "$registry/private/app:latest"
    grep -q "^GET /redirected/sha256:.* auth=-$" "${!log_var}"
    ! grep -q LEAK "${!log_var}"
    run_skiff rmi "$registry/private/app"
  done
}

@test "search lists the catalog of a registry that needs credentials" {
  run_skiff 125 search "$AUTH_REGISTRY/app"
  assert_skiff_error "skiff login $AUTH_REGISTRY"
  run_skiff login -u alice -p s3cret "$AUTH_REGISTRY"
  run_skiff search --format '{{.Name}}' "$AUTH_REGISTRY/app"
  assert_equal "$output" "$AUTH_REGISTRY/private/app"
}
