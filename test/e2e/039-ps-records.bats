#!/usr/bin/env bats
# What `ps` reads: the listing summary that opens each config.json, which
# must never say something the record doesn't; damaged records, which ps
# names and leaves out while listing the rest; and stores large enough that
# ps reads them on two threads, while other scripts change them.
load helpers

per_test_setup() {
  import_busybox busybox
}

# Containers run in the background are gone, with their monitors, before
# the teardown looks for leftover processes.
per_test_teardown() { remove_all_containers; }

# config_of NAME: the path of the container's config.json.
config_of() {
  echo "$SKIFF_ROOT/containers/$("$SKIFF" inspect -f '{{.Id}}' "$1")/config.json"
}

@test "ps, inspect and rename agree on a container's name and fields" {
  "$SKIFF" create --name before -l team=web busybox sh -c 'echo hi' >/dev/null
  run_skiff rename before after
  run_skiff ps -a --format '{{.Names}}|{{.Labels}}|{{.Command}}|{{.Networks}}'
  assert_equal "$output" "after|team=web|\"sh -c 'echo hi'\"|slirp"
  run_skiff inspect -f '{{.Name}}' after
  assert_equal "$output" "/after"
  # The summary is skiff's own: inspect never shows it.
  run_skiff inspect after
  assert_output_not_contains listing
}

@test "a record changed behind skiff's back reads as changed, not as its stale summary says" {
  id=$("$SKIFF" create --name web busybox true)
  config=$(config_of web)
  grep -q '"listing":{"name":"web"' "$config"
  # Rename it in the record only, as a tool that knows nothing of the
  # summary would (its checksum no longer matches the rest).
  python3 - "$config" <<'EOF'
import sys
path = sys.argv[1]
text = open(path).read()
head, sep, rest = text.partition('},"image":')  # the summary ends, the record goes on
open(path, "w").write(head + sep + rest.replace('"name":"web"', '"name":"db"'))
EOF
  grep -q '"listing":{"name":"web"' "$config"
  run_skiff ps -a --format '{{.Names}}'
  assert_equal "$output" "db"
  run_skiff inspect -f '{{.Name}}' "$id"
  assert_equal "$output" "/db"
}

@test "ps lists what it can read and names what it can't" {
  for name in good truncated wrongtype nostate badstate; do
    "$SKIFF" create --name $name busybox true >/dev/null
  done
  id_of() { "$SKIFF" inspect -f '{{.Id}}' "$1"; }
  dir=$SKIFF_ROOT/containers
  truncated=$(id_of truncated) wrongtype=$(id_of wrongtype) nostate=$(id_of nostate) badstate=$(id_of badstate)
  head -c 200 "$dir/$truncated/config.json" >"$SKIFF_TEST_DIR/cut" && mv "$SKIFF_TEST_DIR/cut" "$dir/$truncated/config.json"
  sed -i 's/"name":"wrongtype"/"name":7/g' "$dir/$wrongtype/config.json"
  rm "$dir/$nostate/state.json"
  echo '{"Status":7}' >"$dir/$badstate/state.json"
  before=$(cd "$dir" && find . -type f | sort | xargs md5sum)

  run_skiff_split ps -a --format '{{.Names}}'
  assert_equal "$output" "good"
  [[ $stderr == *"skipping container \`$truncated\`: parse \`$dir/$truncated/config.json\`: parse error at line 1, column 201"* ]] ||
    { echo "stderr: $stderr"; return 1; }
  [[ $stderr == *"skipping container \`$wrongtype\`: parse \`$dir/$wrongtype/config.json\`: \`name\` is not a string"* ]] ||
    { echo "stderr: $stderr"; return 1; }
  [[ $stderr == *"skipping container \`$nostate\`: open \`$dir/$nostate/state.json\`: No such file or directory"* ]] ||
    { echo "stderr: $stderr"; return 1; }
  [[ $stderr == *"skipping container \`$badstate\`: parse \`$dir/$badstate/state.json\`: \`Status\` is not a string"* ]] ||
    { echo "stderr: $stderr"; return 1; }
  run_skiff_split ps -aq
  assert_equal "$output" "$(id_of good | head -c 12)"
  # Reading changed nothing.
  assert_equal "$(cd "$dir" && find . -type f | sort | xargs md5sum)" "$before"
}

@test "ps of a hundred containers stays right while 8 scripts run, stop and remove others" {
  for i in $(seq 100); do "$SKIFF" create --name "keep$i" busybox true >/dev/null; done
  run_skiff ps -a --format '{{.Names}}'
  [ "${#lines[@]}" -eq 100 ]
  assert_equal "${lines[0]}" keep100  # newest first
  assert_equal "${lines[99]}" keep1
  churn_containers 8
  bad=0
  while jobs -r | grep -q .; do
    if ! out=$("$SKIFF" ps -a --format '{{.Names}} {{.Status}}' 2>&1); then bad=1; echo "$out"; fi
    if echo "$out" | grep -q -i -e warning -e skipping -e error; then bad=1; echo "$out"; fi
    [ "$(echo "$out" | grep -c '^keep[0-9]* Created$')" -eq 100 ] || { bad=1; echo "$out"; }
  done
  wait
  [ "$bad" -eq 0 ]
  [ "$("$SKIFF" ps -aq | wc -l)" -eq 100 ]
}
