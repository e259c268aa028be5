#!/usr/bin/env bats
# skiff ps, rm and inspect on containers made with `skiff create`: nothing
# here starts a process (030-run.bats covers running containers).
load helpers

# create_container NAME ARGS...: creates a busybox container named NAME,
# the rest going to `skiff create` after the name; prints its ID.
create_container() {
  local name=$1
  shift
  "$SKIFF" create --name "$name" "$@"
}

per_test_setup() {
  import_busybox busybox
}

@test "ps with no containers prints only the header, -q nothing" {
  run_skiff ps -a
  assert_equal "$output" "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES"
  run_skiff ps -aq
  assert_equal "$output" ""
}

@test "ps shows running containers only; -a shows created ones with docker's columns" {
  id=$(create_container web busybox sh -c 'echo hi')
  run_skiff ps -q
  assert_equal "$output" ""
  run_skiff ps -a
  # Column widths follow the CREATED text ("Less than a second ago", "2
  # seconds ago"), which depends on how fast this machine is: check where
  # each header starts relative to its neighbours, not absolute widths.
  [[ ${lines[0]} =~ ^CONTAINER\ ID\ \ \ IMAGE\ \ \ \ \ COMMAND\ {13}CREATED\ +STATUS\ \ \ \ PORTS\ \ \ \ \ NAMES$ ]] ||
    { echo "header: ${lines[0]}"; return 1; }
  [[ ${lines[1]} =~ ^${id:0:12}\ +busybox\ +\"sh\ -c\ \'echo\ hi\'\"\ +.*\ ago\ +Created\ +web$ ]] ||
    { echo "row: ${lines[1]}"; return 1; }
}

@test "ps cuts long commands and IDs; --no-trunc shows them whole" {
  id=$(create_container loop busybox /bin/sh -c 'while true; do sleep 1; done')
  run_skiff ps -a --format '{{.ID}} {{.Command}}'
  assert_equal "$output" "${id:0:12} \"/bin/sh -c 'while t…\""
  run_skiff ps -a --no-trunc --format '{{.ID}} {{.Command}}'
  assert_equal "$output" "$id \"/bin/sh -c 'while true; do sleep 1; done'\""
}

@test "ps --format sees docker's fields; json prints one object a line" {
  mkdir "$SKIFF_TEST_DIR/data"
  create_container web -l tier=front -l team=web -v "$SKIFF_TEST_DIR/data:/data" busybox true >/dev/null
  run_skiff ps -a --format '{{.Names}}|{{.Image}}|{{.State}}|{{.Status}}|{{.Labels}}|{{.Networks}}|{{.Ports}}'
  assert_equal "$output" "web|busybox|created|Created|team=web,tier=front|slirp|"
  run_skiff ps -a --no-trunc --format '{{.Mounts}}'
  assert_equal "$output" "$SKIFF_TEST_DIR/data"
  run_skiff ps -a --format json
  [[ $output == '{"Command":"\"true\"",'* ]] || { echo "json: $output"; return 1; }
  assert_output_contains '"Names":"web"'
  assert_output_contains '"State":"created"'
}

@test "ps -s adds a SIZE column: nothing written, plus the image" {
  create_container web busybox true >/dev/null
  run_skiff ps -a -s --format '{{.Size}}'
  [[ $output =~ ^0B\ \(virtual\ [0-9.]+[kM]B\)$ ]] || { echo "size: $output"; return 1; }
  run_skiff ps -a -s
  assert_output_contains "SIZE"
  # A template that uses .Size measures without -s, as docker.
  run_skiff ps -a --format '{{.Size}}'
  assert_output_contains "(virtual "
}

@test "ps -n and -l show the newest containers in any state" {
  create_container one busybox true >/dev/null
  create_container two busybox true >/dev/null
  create_container three busybox true >/dev/null
  run_skiff ps -l --format '{{.Names}}'
  assert_equal "$output" "three"
  run_skiff ps -n 2 --format '{{.Names}}'
  assert_equal "$output" $'three\ntwo'
  run_skiff container ls -a --format '{{.Names}}'
  assert_equal "$output" $'three\ntwo\none'
}

@test "ps filters: one key ORs, different keys AND; status= lists stopped ones without -a" {
  create_container web-1 -l team=web busybox true >/dev/null
  create_container web-2 -l team=db busybox true >/dev/null
  id=$(create_container db busybox true)
  run_skiff ps --filter status=created --format '{{.Names}}'
  assert_equal "$output" $'db\nweb-2\nweb-1'
  run_skiff ps -a -f name=web --format '{{.Names}}'
  assert_equal "$output" $'web-2\nweb-1'
  run_skiff ps -a -f name=^db$ -f name=web-1 --format '{{.Names}}'
  assert_equal "$output" $'db\nweb-1'
  run_skiff ps -a -f name=web -f label=team=db --format '{{.Names}}'
  assert_equal "$output" "web-2"
  run_skiff ps -a -f "id=${id:0:6}" -q
  assert_equal "$output" "${id:0:12}"
  run_skiff ps -a -f ancestor=busybox:latest -q
  assert_equal "${#lines[@]}" 3
  run_skiff ps -a -f ancestor=nosuch -q
  assert_equal "$output" ""
  run_skiff ps -a -f since=web-2 --format '{{.Names}}'
  assert_equal "$output" "db"
  run_skiff ps -a -f status=running -q
  assert_equal "$output" ""
}

@test "ps refuses unknown filters and bad values with the valid ones" {
  run_skiff 125 ps -f foo=bar
  assert_skiff_error "invalid filter \`foo\`: the filters here are ancestor"
  run_skiff 125 ps -f status=sleeping
  assert_skiff_error "the states are created, restarting, running, removing, paused, exited and dead"
  run_skiff 125 ps -f exited=zero
  assert_skiff_error "expected an exit code"
  run_skiff 125 ps -f before=nosuch
  assert_skiff_error "No such container: nosuch"
}

@test "rm removes by ID prefix or name, printing each argument as given; the rest fail with 125" {
  id=$(create_container web busybox true)
  create_container db busybox true >/dev/null
  run_skiff_split 125 rm "${id:0:10}" nosuch /db
  assert_equal "$output" "${id:0:10}"$'\n/db'
  assert_equal "$stderr" "skiff: No such container: nosuch"
  run_skiff ps -aq
  assert_equal "$output" ""
  [ -z "$(ls "$SKIFF_ROOT/containers")" ]
}

@test "rm frees the name for a new container" {
  create_container web busybox true >/dev/null
  run_skiff 125 create --name web busybox true
  assert_skiff_error "is already in use"
  run_skiff rm web
  run_skiff create --name web busybox true
}

@test "rm -f of a missing container reports it but succeeds, as docker" {
  run_skiff_split rm -f nosuch
  assert_equal "$stderr" "skiff: No such container: nosuch"
}

@test "rm needs a container, or --all alone" {
  run_skiff 125 rm
  assert_skiff_error "\"skiff rm\" requires at least 1 argument"
  run_skiff 125 container rm
  assert_skiff_error "\"skiff container rm\" requires at least 1 argument"
  run_skiff 125 rm -a web
  assert_skiff_error "takes no container names with --all"
  create_container one busybox true >/dev/null
  id=$(create_container two busybox true)
  run_skiff container remove -a
  assert_output_contains "$id"
  run_skiff ps -aq
  assert_equal "$output" ""
}

@test "inspect prints docker's container object" {
  mkdir "$SKIFF_TEST_DIR/data"
  id=$(create_container web -e A=1 -l team=web -v "$SKIFF_TEST_DIR/data:/data:ro" busybox sh -c 'echo hi')
  run_skiff_split inspect web
  [[ $output == $'[\n    {\n        "Id": "'"$id"'",'* ]] || { echo "json: $output"; return 1; }
  run_skiff inspect -f '{{.Name}} {{.State.Status}} {{.Path}} {{json .Args}}' web
  assert_equal "$output" "/web created sh [\"-c\",\"echo hi\"]"
  run_skiff container inspect -f '{{index .Config.Labels "team"}} {{json .Config.Env}}' "${id:0:12}"
  assert_equal "$output" 'web ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","A=1"]'
  run_skiff inspect -f '{{json .Mounts}}' web
  assert_equal "$output" '[{"Type":"bind","Source":"'"$SKIFF_TEST_DIR/data"'","Destination":"/data","Mode":"ro","RW":false,"Propagation":"rprivate"}]'
  run_skiff inspect -f '{{.Config.StopSignal}}|{{.Image}}' web
  [[ $output == "|sha256:"* ]] || { echo "output: $output"; return 1; }
}

@test "inspect -s adds SizeRw and SizeRootFs" {
  create_container web busybox true >/dev/null
  run_skiff inspect -s -f '{{.SizeRw}} {{gt .SizeRootFs 0}}' web
  assert_equal "$output" "0 true"
  run_skiff container inspect web
  assert_output_not_contains "SizeRw"
}

@test "inspect looks for a container first, then an image; --type picks one" {
  create_container busybox busybox true >/dev/null
  run_skiff inspect -f '{{.Name}}' busybox
  assert_equal "$output" "/busybox"
  run_skiff inspect --type image -f '{{.Os}}' busybox
  assert_equal "$output" "linux"
  run_skiff image inspect -f '{{.Os}}' busybox
  assert_equal "$output" "linux"
  run_skiff inspect --type container -f '{{.State.Status}}' busybox
  assert_equal "$output" "created"
}

@test "inspect reports each missing name and prints the others, exit 125" {
  create_container web busybox true >/dev/null
  run_skiff_split 125 inspect -f '{{.Name}}' web nosuch
  assert_equal "$output" "/web"
  assert_equal "$stderr" "skiff: No such object: nosuch"
  run_skiff_split 125 container inspect nosuch
  assert_equal "$output" "[]"
  assert_equal "$stderr" "skiff: No such container: nosuch"
  run_skiff_split 125 inspect --type container busybox
  assert_equal "$stderr" "skiff: No such container: busybox"
}

@test "containers named like verbs are what rm and inspect act on" {
  "$SKIFF" create --name ps busybox true >/dev/null
  "$SKIFF" create --name cp busybox true >/dev/null
  # `rm`'s container argument is optional (-a): CLI11 once took these
  # names for verbs, ran `skiff ps` and exited 0 without removing anything.
  run_skiff rm ps
  assert_equal "$output" "ps"
  run_skiff container rm cp
  assert_equal "$output" "cp"
  run_skiff ps -a -q
  assert_equal "$output" ""
}
