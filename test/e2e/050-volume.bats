#!/usr/bin/env bats
# Volumes: skiff volume create/ls/inspect/rm/prune, named and anonymous
# volumes in containers, the image's VOLUMEs, copy-up, rm -v and --rm.
load helpers

per_test_setup() { import_busybox; }

# image_with NAME CHANGE [MAKE_ROOTFS_ARGS...]: busybox changed by
# make_rootfs.py, imported with one Dockerfile instruction (a VOLUME).
image_with() {
  local name=$1 change=$2
  shift 2
  python3 "$BATS_TEST_DIRNAME/make_rootfs.py" "$(busybox_tar)" "$SKIFF_TEST_DIR/$name.tar" "$@"
  "$SKIFF" import --change "$change" "$SKIFF_TEST_DIR/$name.tar" "$name" >/dev/null
}

# The volumes' names, one a line, sorted.
volume_names() { "$SKIFF" volume ls -q; }

# What the volumes folder holds (names and kinds), to compare before and after.
store_volumes() { (cd "$SKIFF_ROOT/volumes" 2>/dev/null && find . | sort); }

data_of() { echo "$SKIFF_ROOT/volumes/$1/_data"; }

@test "volume create prints the name; inspect shows docker's fields; a name made twice is one volume" {
  run_skiff volume create --label team=db --label bare -d local data1
  assert_equal "$output" data1
  run_skiff volume inspect data1
  python3 - "$output" "$(data_of data1)" <<'PY'
import json, re, sys
[v] = json.loads(sys.argv[1])
assert list(v) == ["CreatedAt", "Driver", "Labels", "Mountpoint", "Name", "Options", "Scope"], list(v)
assert v["Driver"] == "local" and v["Scope"] == "local" and v["Name"] == "data1", v
assert v["Labels"] == {"team": "db", "bare": ""}, v["Labels"]
assert v["Options"] == {}, v["Options"]
assert v["Mountpoint"] == sys.argv[2], v["Mountpoint"]
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", v["CreatedAt"]), v["CreatedAt"]
PY
  [ -d "$(data_of data1)" ]
  created=$("$SKIFF" volume inspect -f '{{.CreatedAt}}' data1)
  sleep 1
  run_skiff volume create --label team=other data1
  assert_equal "$output" data1
  run_skiff volume inspect -f '{{.CreatedAt}} {{index .Labels "team"}} {{.Mountpoint}}' data1
  assert_equal "$output" "$created db $(data_of data1)"

  # No name: a random one, and the volume is anonymous (docker's label).
  run_skiff volume create
  [[ $output =~ ^[0-9a-f]{64}$ ]]
  anon=$output
  run_skiff volume inspect -f '{{json .Labels}}' "$anon"
  assert_equal "$output" '{"com.docker.volume.anonymous":""}'

  # Several names: each found one printed, a missing one reported, 125.
  run_skiff_split 125 volume inspect -f '{{.Name}}' data1 nosuch "$anon"
  assert_equal "$output" "data1"$'\n'"$anon"
  assert_equal "$stderr" "skiff: No such volume: nosuch"

  # skiff inspect finds volumes after containers and images, or with --type volume.
  run_skiff inspect -f '{{.Name}} {{.Scope}}' data1
  assert_equal "$output" "data1 local"
  run_skiff inspect --type volume -f '{{.Driver}}' data1
  assert_equal "$output" local
  run_skiff_split 125 inspect --type volume busybox
  assert_equal "$stderr" "skiff: No such volume: busybox"
  run_skiff_split 125 inspect --type image data1
  assert_equal "$stderr" "skiff: No such image: data1"
}

@test "volume ls: docker's table, -q, --format and filters" {
  "$SKIFF" volume create --label team=db alpha >/dev/null
  "$SKIFF" volume create --label team=web --label tier=front beta >/dev/null
  "$SKIFF" volume create gamma >/dev/null
  "$SKIFF" create --name user -v beta:/b busybox true >/dev/null
  run_skiff volume ls
  assert_equal "$output" "DRIVER    VOLUME NAME
local     alpha
local     beta
local     gamma"
  run_skiff volume list -q
  assert_equal "$output" "alpha
beta
gamma"
  run_skiff volume ls --format '{{.Name}}:{{.Driver}}:{{.Scope}}:{{.Labels}}'
  assert_equal "${lines[1]}" "beta:local:local:team=web,tier=front"
  run_skiff volume ls --format 'table {{.Name}}\t{{.Mountpoint}}'
  assert_equal "${lines[0]}" "VOLUME NAME   MOUNTPOINT"
  assert_output_contains "alpha         $(data_of alpha)"
  run_skiff volume ls --format json
  assert_equal "${#lines[@]}" 3
  assert_equal "$(echo "${lines[0]}" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["Name"], j["Driver"], sorted(j))')" \
    "alpha local ['Availability', 'Driver', 'Group', 'Labels', 'Links', 'Mountpoint', 'Name', 'Scope', 'Size', 'Status']"

  run_skiff volume ls -q --filter label=team
  assert_equal "$output" "alpha"$'\n'"beta"
  run_skiff volume ls -q --filter label=team=web
  assert_equal "$output" beta
  run_skiff volume ls -q --filter label=team --filter label=tier=front
  assert_equal "$output" beta
  run_skiff volume ls -q --filter name=^a --filter name=mm
  assert_equal "$output" "alpha"$'\n'"gamma"
  run_skiff volume ls -q --filter dangling=true
  assert_equal "$output" "alpha"$'\n'"gamma"
  run_skiff volume ls -q --filter dangling=false
  assert_equal "$output" beta
  run_skiff volume ls -q --filter driver=local --filter name=gamma
  assert_equal "$output" gamma
  run_skiff volume ls -q --filter driver=nfs
  assert_equal "$output" ""
  # ps sees the volume too.
  run_skiff ps -a --filter volume=beta --format '{{.Names}} {{.Mounts}} {{.LocalVolumes}}'
  assert_equal "$output" "user beta 1"
}

@test "bad names, options and filters: exit 125, a clear error, the store unchanged" {
  "$SKIFF" volume create keep >/dev/null
  before=$(store_volumes)
  run_skiff 125 volume create a
  assert_skiff_error "create a: volume name is too short, names should be at least two alphanumeric characters"
  run_skiff 125 volume create 'bad/name'
  assert_skiff_error 'create bad/name: "bad/name" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed'
  run_skiff 125 volume create ../escape
  assert_skiff_error "includes invalid characters"
  run_skiff 125 volume create -o type=tmpfs -o device=tmpfs -o o=size=1m tmp1
  assert_skiff_error "create tmp1: the local driver can't use option \"type\" without root"
  run_skiff 125 volume create --opt colour=red c1
  assert_skiff_error 'create c1: invalid option key: "colour"'
  run_skiff 125 volume create -o novalue c2
  assert_skiff_error "invalid driver option \`novalue\`: expected KEY=VALUE"
  run_skiff 125 volume create --driver nfs c3
  assert_skiff_error 'volume driver "nfs" is not available'
  run_skiff 125 volume create --label =x c4
  assert_skiff_error "a label needs a name"
  run_skiff 125 volume ls --filter bogus=1
  assert_skiff_error "invalid filter \`bogus\`"
  run_skiff 125 volume ls --filter dangling=maybe
  assert_skiff_error "invalid filter \`dangling=maybe\`: use true or false"
  run_skiff 125 volume prune --filter until=1h
  assert_skiff_error "invalid filter \`until\`"
  run_skiff 125 volume inspect
  run_skiff 125 volume rm
  # Bad volumes in containers: nothing made, neither volume nor container.
  run_skiff 125 create -v a:/x busybox true
  assert_skiff_error "volume name is too short"
  run_skiff 125 run --rm -v 'bad@name:/x' busybox true
  assert_skiff_error "includes invalid characters"
  run_skiff 125 create --mount type=volume,source=v1,target=/x,volume-opt=type=tmpfs busybox true
  assert_skiff_error "can't use option \"type\" without root"
  run_skiff 125 create --mount type=volume,target=/x,volume-driver=nfs busybox true
  run_skiff 125 create --mount type=bind,source=/,target=/x,volume-nocopy busybox true
  assert_skiff_error "volume options on a bind mount"
  run_skiff 125 create -v /x -v v2:/x busybox true
  assert_skiff_error "Duplicate mount point: /x"
  # A failure after the volumes were made (a taken name) leaves no anonymous one.
  "$SKIFF" create --name taken busybox true >/dev/null
  after_container=$(store_volumes)
  run_skiff 125 create --name taken -v /anon busybox true
  assert_skiff_error "is already in use"
  assert_equal "$(store_volumes)" "$after_container"
  "$SKIFF" rm taken >/dev/null
  assert_equal "$(store_volumes)" "$before"
  assert_equal "$(volume_names)" keep
}

@test "two creators racing for one name both get the one volume" {
  for i in 1 2 3 4 5 6; do
    "$SKIFF" volume create race >"$SKIFF_TEST_DIR/out$i" 2>&1 &
  done
  wait
  for i in 1 2 3 4 5 6; do assert_equal "$(cat "$SKIFF_TEST_DIR/out$i")" race; done
  assert_equal "$(volume_names)" race
  assert_equal "$(ls -A "$SKIFF_ROOT/volumes")" ".lock
race"
}

@test "a named volume is shared: what one container writes the next reads, also after the first is removed" {
  run_skiff run --name writer -v shared:/data busybox sh -c 'echo hello > /data/f'
  assert_equal "$(volume_names)" shared
  run_skiff run --rm -v shared:/other busybox cat /other/f
  assert_equal "$output" hello
  run_skiff rm writer
  run_skiff run --rm --mount type=volume,source=shared,target=/m busybox cat /m/f
  assert_equal "$output" hello
  # Made by a container: no labels, no options, as docker's.
  run_skiff volume inspect -f '{{json .Labels}} {{json .Options}}' shared
  assert_equal "$output" "null null"
  assert_equal "$(cat "$(data_of shared)/f")" hello
}

@test "inspect shows docker's Mounts entries for volumes" {
  id=$("$SKIFF" create -v named:/data:ro --mount type=volume,target=/anon -v "$SKIFF_TEST_DIR:/host" busybox true)
  run_skiff inspect -f '{{json .Mounts}}' "$id"
  python3 - "$output" "$SKIFF_ROOT" "$SKIFF_TEST_DIR" <<'PY'
import json, re, sys
mounts, root, host = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
named, bind, anon = mounts  # -v first, then --mount
assert named == {"Type": "volume", "Name": "named", "Source": root + "/volumes/named/_data",
                 "Destination": "/data", "Driver": "local", "Mode": "ro", "RW": False, "Propagation": ""}, named
assert list(named) == ["Type", "Name", "Source", "Destination", "Driver", "Mode", "RW", "Propagation"]
assert re.fullmatch("[0-9a-f]{64}", anon["Name"]), anon
assert anon["Source"] == root + "/volumes/" + anon["Name"] + "/_data" and anon["Mode"] == "" and anon["RW"], anon
assert bind["Type"] == "bind" and bind["Source"] == host, bind
PY
  run_skiff inspect -f '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}}|{{.Driver}}|{{.Mode}} {{end}}{{end}}' "$id"
  [[ $output =~ ^named\|local\|ro\ [0-9a-f]{64}\|local\|\ $ ]]
  run_skiff inspect -f '{{.HostConfig.Binds}}' "$id"
  assert_equal "$output" "[named:/data:ro $SKIFF_TEST_DIR:/host]"
  id2=$("$SKIFF" create -v named:/data -v /scratch busybox true)
  run_skiff inspect -f '{{(index .Mounts 0).Mode}} {{json .Config.Volumes}}' "$id2"
  assert_equal "$output" 'z {"/scratch":{}}'
}

@test "volume rm is refused while any container uses the volume, running or not" {
  id=$("$SKIFF" create --name c1 -v inuse:/d busybox true)
  run_skiff 125 volume rm inuse
  assert_equal "$output" "skiff: remove inuse: volume is in use - [$id]"
  id2=$("$SKIFF" create -v inuse:/e busybox true)
  run_skiff 125 volume rm inuse
  [[ $output == "skiff: remove inuse: volume is in use - ["*", "*"]" && $output == *"$id"* && $output == *"$id2"* ]]
  run_skiff volume prune -a
  assert_equal "$output" "Total reclaimed space: 0B"
  assert_equal "$(volume_names)" inuse
  "$SKIFF" start -a c1
  run_skiff 125 volume rm inuse
  "$SKIFF" rm c1 "$id2" >/dev/null
  # rm -v keeps a named volume.
  assert_equal "$(volume_names)" inuse
  run_skiff volume rm inuse
  assert_equal "$output" inuse
  [ ! -e "$SKIFF_ROOT/volumes/inuse" ]
  run_skiff 125 volume rm inuse
  assert_skiff_error "No such volume: inuse"
  run_skiff volume rm -f inuse
  assert_equal "$output" inuse
  # Several names: each on its own.
  "$SKIFF" volume create v1 >/dev/null
  run_skiff_split 125 volume rm v1 nosuch
  assert_equal "$output" v1
  assert_equal "$stderr" "skiff: No such volume: nosuch"
}

@test "a running container's volume can't be removed; its writes land in the volume" {
  "$SKIFF" create --name bg -v live:/d busybox sh -c 'echo up > /d/state; sleep 30' >/dev/null
  "$SKIFF" start bg >/dev/null
  assert_equal "$("$SKIFF" inspect -f '{{.State.Status}}' bg)" running
  for _ in $(seq 50); do [ -s "$(data_of live)/state" ] && break; sleep 0.1; done
  assert_equal "$(cat "$(data_of live)/state")" up
  run_skiff 125 volume rm live
  assert_output_contains "volume is in use"
  "$SKIFF" rm -f -v bg >/dev/null
  assert_equal "$(volume_names)" live
}

@test "-v PATH and an image's VOLUME are anonymous volumes; rm -v removes them, not named ones" {
  image_with volimg 'VOLUME ["/data", "/covered"]' --dir data --file data/seed=seeded --dir covered
  id=$("$SKIFF" create -v named1:/named -v /anon -v "$SKIFF_TEST_DIR:/covered" volimg sh -c 'cat /data/seed; ls /covered >/dev/null; echo x > /anon/f')
  names=$(volume_names)
  assert_equal "$(echo "$names" | grep -c .)" 3  # named1, /anon's and /data's: /covered is a bind
  echo "$names" | grep -qx named1
  [ "$(echo "$names" | grep -cE '^[0-9a-f]{64}$')" = 2 ]
  run_skiff inspect -f '{{range .Mounts}}{{.Type}}:{{.Destination}} {{end}}' "$id"
  assert_equal "$output" "volume:/named volume:/anon bind:/covered volume:/data "
  run_skiff start -a "$id"
  assert_equal "$output" seeded
  run_skiff rm -v "$id"
  assert_equal "$(volume_names)" named1

  # Without -v, the anonymous volumes stay (as docker); prune takes them.
  id=$("$SKIFF" create -v /anon2 busybox true)
  anon2=$("$SKIFF" inspect -f '{{(index .Mounts 0).Name}}' "$id")
  "$SKIFF" rm "$id" >/dev/null
  assert_equal "$(volume_names | sort)" "$(printf '%s\n' "$anon2" named1 | sort)"
  run_skiff volume prune
  assert_equal "${lines[0]}" "Deleted Volumes:"
  assert_equal "${lines[1]}" "$anon2"
  [[ ${lines[2]} == "Total reclaimed space: "* ]]
  assert_equal "$(volume_names)" named1
}

@test "--rm removes the container's anonymous volumes, never its named ones" {
  image_with volimg 'VOLUME /data' --dir data
  run_skiff run --rm -v keep1:/k -v /gone volimg sh -c 'echo x > /gone/f; echo y > /k/f; echo z > /data/f'
  assert_equal "$(volume_names)" keep1
  assert_equal "$(cat "$(data_of keep1)/f")" y
  # An anonymous volume another container names is kept.
  id=$("$SKIFF" create -v /shared busybox true)
  anon=$("$SKIFF" inspect -f '{{(index .Mounts 0).Name}}' "$id")
  "$SKIFF" create --name other -v "$anon:/s" busybox true >/dev/null
  run_skiff rm -v "$id"
  run_skiff volume ls -q --filter name="$anon"
  assert_equal "$output" "$anon"
}

@test "copy-up: an empty volume gets the image's files, owners, modes and symlinks, once" {
  local owner=0:0
  has_subids && owner=1000:1001
  image_with cuimg 'VOLUME /data' --dir data --file data/f=seeded --symlink data/link=f --dir data/sub \
    --file data/sub/g=deep --owner data=1000:1001 --owner data/f=1000:1001 --mode data=751 --mode data/f=640
  run_skiff run --rm -v cu:/data cuimg sh -c \
    'cat /data/f /data/sub/g; stat -c "%u:%g %a" /data /data/f; readlink /data/link'
  assert_equal "$output" "seeded
deep
$owner 751
$owner 640
f"
  [ -L "$(data_of cu)/link" ]
  assert_equal "$(readlink "$(data_of cu)/link")" f
  [ -f "$SKIFF_ROOT/volumes/cu/populated" ]
  # Filled once: what a container removes stays removed.
  run_skiff run --rm -v cu:/data cuimg sh -c 'rm /data/f; echo mine > /data/own'
  run_skiff run --rm -v cu:/data cuimg ls /data
  assert_equal "$output" "link
own
sub"
  # The image's own VOLUME, anonymous, is filled too.
  run_skiff run --rm cuimg cat /data/sub/g
  assert_equal "$output" deep
  # A volume with content is never filled (docker's rule).
  "$SKIFF" run --rm -v full:/x busybox sh -c 'echo already > /x/a'
  run_skiff run --rm -v full:/data cuimg ls /data
  assert_equal "$output" a
}

@test "copy-up and named volumes work with the vfs and fuse-overlayfs drivers too" {
  image_with cuimg 'VOLUME /data' --dir data --file data/f=seeded
  local drivers=(vfs)
  command -v fuse-overlayfs >/dev/null && drivers+=(fuse-overlayfs)
  for driver in "${drivers[@]}"; do
    run_skiff --storage-driver "$driver" run --rm -v "cu-$driver:/data" cuimg sh -c 'cat /data/f; echo more >> /data/f'
    assert_equal "$output" seeded
    run_skiff --storage-driver "$driver" run --rm cuimg cat /data/f
    assert_equal "$output" seeded
    assert_equal "$(cat "$(data_of "cu-$driver")/f")" "seeded
more"
  done
  assert_equal "$(volume_names | grep -c .)" "${#drivers[@]}"
}

@test "nocopy leaves the volume empty; a later mount fills it; :ro and readonly mount read-only" {
  image_with cuimg 'VOLUME /data' --dir data --file data/f=seeded
  run_skiff run --rm -v nc:/data:nocopy cuimg ls -A /data
  assert_equal "$output" ""
  run_skiff run --rm --mount type=volume,src=nc2,dst=/data,volume-nocopy cuimg ls -A /data
  assert_equal "$output" ""
  assert_equal "$(ls -A "$(data_of nc2)")" ""
  # Still empty and never filled: the next mount that copies fills it.
  run_skiff run --rm -v nc:/data cuimg cat /data/f
  assert_equal "$output" seeded
  run_skiff 1 run --rm -v ro1:/data:ro cuimg sh -c 'cat /data/f; touch /data/x'
  assert_output_contains seeded
  assert_output_contains "Read-only file system"
  run_skiff 1 run --rm --mount type=volume,src=ro1,dst=/data,readonly cuimg touch /data/y
  assert_output_contains "Read-only file system"
  assert_equal "$(ls "$(data_of ro1)")" f
}

@test "a hostile image: a VOLUME path or its content that points out of the root copies and writes nothing outside" {
  local outside=$SKIFF_TEST_DIR/outside
  mkdir -p "$outside/a/dir" "$outside/b"
  echo TOPSECRET >"$outside/a/secret"
  echo DEEPER >"$outside/a/dir/file"
  echo OTHER >"$outside/b/other"
  before=$(cd "$outside" && find . -printf '%p %s %m\n' | sort)
  image_with evil 'VOLUME ["/data", "/rel"]' --symlink "data=$outside/a" \
    --symlink "rel=../../../../../../../../../..$outside/b" \
    --dir content --symlink "content/abs=$outside/a/secret" --symlink "content/dirlink=$outside/a" \
    --symlink "content/up=../../../../../../../../../..$outside/a/dir"
  run_skiff run --rm -v ev:/data evil sh -c 'ls -A /data; ls -A /rel; echo written > /data/w; echo rel > /rel/r'
  assert_equal "$output" ""
  assert_equal "$(ls -A "$(data_of ev)")" w
  # /rel's anonymous volume got its write; nothing outside changed.
  assert_equal "$(cd "$outside" && find . -printf '%p %s %m\n' | sort)" "$before"

  # Symlinks in the content are copied as symlinks, never followed.
  run_skiff run --rm -v ev2:/content evil sh -c 'cat /content/abs; ls /content/dirlink/; cat /content/up/file; true'
  assert_output_not_contains TOPSECRET
  assert_output_not_contains DEEPER
  assert_output_not_contains OTHER
  assert_equal "$(readlink "$(data_of ev2)/abs")" "$outside/a/secret"
  [ -L "$(data_of ev2)/dirlink" ] && [ -L "$(data_of ev2)/up" ]
  assert_equal "$(find "$(data_of ev2)" -type f)" ""
  assert_equal "$(cd "$outside" && find . -printf '%p %s %m\n' | sort)" "$before"
}

@test "volume prune: anonymous unused volumes unless -a, label filters, reclaimed space" {
  "$SKIFF" volume create --label keep=1 k1 >/dev/null
  "$SKIFF" volume create n1 >/dev/null
  a1=$("$SKIFF" volume create)
  a2=$("$SKIFF" volume create --label keep=1)
  id=$("$SKIFF" create -v /used busybox true)
  used=$("$SKIFF" inspect -f '{{(index .Mounts 0).Name}}' "$id")
  "$SKIFF" run --rm -v "$a1:/d" busybox sh -c 'head -c 100000 /dev/zero > /d/zeros'
  run_skiff volume prune --filter 'label!=keep'
  assert_equal "${lines[0]}" "Deleted Volumes:"
  assert_equal "${lines[1]}" "$a1"
  assert_equal "${lines[2]}" "Total reclaimed space: 100kB"
  run_skiff volume prune -f
  assert_equal "$output" "Deleted Volumes:
$a2

Total reclaimed space: 0B"
  run_skiff volume prune -a --filter label=keep=1
  assert_equal "${lines[1]}" k1
  run_skiff volume prune --filter all=true
  assert_equal "${lines[1]}" n1
  run_skiff volume prune -a
  assert_equal "$output" "Total reclaimed space: 0B"
  assert_equal "$(volume_names)" "$used"
}

@test "a volume holding files of other IDs is removed from inside the user namespace" {
  has_subids || skip "needs a subordinate ID range"
  run_skiff run --rm -v owned:/d busybox sh -c 'mkdir /d/x && echo f > /d/x/f && chown -R 1000:1000 /d/x && chmod 700 /d/x'
  [ "$(stat -c %u "$(data_of owned)/x")" != "$(id -u)" ]
  run_skiff volume rm owned
  [ ! -e "$SKIFF_ROOT/volumes/owned" ]
  id=$("$SKIFF" create -v /o busybox sh -c 'mkdir /o/x && echo f > /o/x/f && chown -R 1000:1000 /o/x && chmod 700 /o/x')
  "$SKIFF" start -a "$id"
  run_skiff rm -v "$id"
  assert_equal "$(volume_names)" ""
}
