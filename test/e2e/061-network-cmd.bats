#!/usr/bin/env bats
# User-defined network records: skiff network create/ls/inspect/rm/prune and
# connect/disconnect of stopped containers. (Containers on such a network
# running is 06x-network-*.bats' business; here they are made with
# --network none and then connected.)
load helpers

per_test_teardown() { remove_all_containers; }

# The names of the user-defined networks, sorted.
network_names() { "$SKIFF" network ls --filter type=custom --format '{{.Name}}'; }

# What the networks folder holds, names, sizes and contents, to compare
# before and after a refusal.
store_networks() {
  (cd "$SKIFF_ROOT" && find networks -printf '%p %s\n' | sort && find networks -name '*.json' -exec cat {} +) 2>/dev/null || true
}

# A built-in network's ID: the SHA-256 of its name.
builtin_id() { printf %s "$1" | sha256sum | cut -c1-64; }

# A container's config.json, parsed, for the fields inspect doesn't show.
config_field() {
  python3 - "$SKIFF_ROOT/containers/$1/config.json" "$2" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
print(json.dumps(config.get(sys.argv[2])))
PY
}

@test "skiff network without a subcommand shows its help" {
  run_skiff network
  assert_output_contains "Manage networks"
  for sub in create ls inspect rm prune connect disconnect; do assert_output_contains "  $sub"; done
}

@test "network create prints the ID; inspect shows docker's object; the record has no Containers" {
  run_skiff network create --label team=db --attachable web
  [[ $output =~ ^[0-9a-f]{64}$ ]]
  id=$output
  [ -f "$SKIFF_ROOT/networks/$id.json" ]
  run_skiff network inspect web
  python3 - "$output" "$id" <<'PY'
import json, re, sys
[n] = json.loads(sys.argv[1])
assert list(n) == ["Name", "Id", "Created", "Scope", "Driver", "EnableIPv6", "IPAM", "Internal", "Attachable",
                   "Ingress", "ConfigFrom", "ConfigOnly", "Containers", "Options", "Labels"], list(n)
assert n["Name"] == "web" and n["Id"] == sys.argv[2], n
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", n["Created"]), n["Created"]
assert (n["Scope"], n["Driver"], n["EnableIPv6"], n["Internal"], n["Ingress"], n["ConfigOnly"]) == \
    ("local", "bridge", False, False, False, False), n
assert n["IPAM"] == {"Driver": "default", "Options": {}, "Config": [{"Subnet": "10.89.0.0/24", "Gateway": "10.89.0.1"}]}, n["IPAM"]
assert n["ConfigFrom"] == {"Network": ""} and n["Containers"] == {} and n["Options"] == {}, n
assert n["Labels"] == {"team": "db"}, n["Labels"]
PY
  python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); assert "Containers" not in r and r["Name"] == "web", r' \
    "$SKIFF_ROOT/networks/$id.json"

  # The next one gets the next free /24; options, gateway and --internal are kept.
  run_skiff network create web2
  run_skiff network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}' web2
  assert_equal "$output" "10.89.1.0/24 10.89.1.1"
  run_skiff network create --subnet 10.90.0.0/16 --gateway 10.90.255.254 --internal \
    -o com.docker.network.driver.mtu=1400 back
  run_skiff network inspect -f '{{.Internal}} {{json .IPAM.Config}} {{json .Options}}' back
  assert_equal "$output" 'true [{"Subnet":"10.90.0.0/16","Gateway":"10.90.255.254"}] {"com.docker.network.driver.mtu":"1400"}'
  # By ID and by a prefix of it; several at once.
  run_skiff network inspect -f '{{.Name}}' "$id" "${id:0:12}" back
  assert_equal "$output" "web"$'\n'"web"$'\n'"back"
  # A removed network's subnet is free again: the lowest one is picked.
  run_skiff network rm web
  run_skiff network create web3
  run_skiff network inspect -f '{{(index .IPAM.Config 0).Subnet}}' web3
  assert_equal "$output" "10.89.0.0/24"
}

@test "network create --ignore returns the existing network; a taken name is docker's error" {
  id=$("$SKIFF" network create once)
  run_skiff network create --ignore once
  assert_equal "$output" "$id"
  before=$(store_networks)
  run_skiff 125 network create once
  assert_equal "$output" "skiff: network create once: network with name once already exists"
  assert_equal "$(store_networks)" "$before"
}

@test "network ls: the built-ins and custom networks by name, -q, --no-trunc, formats" {
  id=$("$SKIFF" network create --label team=web --label tier=front web)
  "$SKIFF" network create --internal alpha >/dev/null
  alpha=$("$SKIFF" network inspect -f '{{.Id}}' alpha)
  run_skiff network ls
  assert_equal "$output" "$(printf '%-15s%-10s%-10s%s\n' "NETWORK ID" NAME DRIVER SCOPE \
    "${alpha:0:12}" alpha bridge local \
    "$(builtin_id host | cut -c1-12)" host host local \
    "$(builtin_id none | cut -c1-12)" none null local \
    "$(builtin_id slirp | cut -c1-12)" slirp slirp local \
    "${id:0:12}" web bridge local)"
  run_skiff network list -q
  assert_equal "${#lines[@]}" 5
  assert_equal "${lines[4]}" "${id:0:12}"
  run_skiff network ls -q --no-trunc --filter name=web
  assert_equal "$output" "$id"
  run_skiff network ls --no-trunc --format '{{.ID}}' --filter type=builtin
  assert_equal "$output" "$(builtin_id host)"$'\n'"$(builtin_id none)"$'\n'"$(builtin_id slirp)"
  run_skiff network ls --format '{{.Name}}|{{.Driver}}|{{.Scope}}|{{.IPv6}}|{{.Internal}}|{{.Labels}}|{{.Label "tier"}}|{{.Label "nope"}}|'
  assert_equal "$output" "alpha|bridge|local|false|true||||
host|host|local|false|false||||
none|null|local|false|false||||
slirp|slirp|local|false|false||||
web|bridge|local|false|false|team=web,tier=front|front||"
  run_skiff network ls --filter name=web --format '{{.CreatedAt}}'
  [[ $output =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?\ [+-][0-9]{4}\ [A-Z]+$ ]]
  run_skiff network ls --format 'table {{.Name}}\t{{.Internal}}' --filter type=custom
  assert_equal "$output" "NAME      INTERNAL
alpha     true
web       false"
  run_skiff network ls --format json --filter name=web
  python3 - "$output" "${id:0:12}" <<'PY'
import json, sys
row = json.loads(sys.argv[1])
assert sorted(row) == ["CreatedAt", "Driver", "ID", "IPv6", "Internal", "Labels", "Name", "Scope"], sorted(row)
assert row["ID"] == sys.argv[2] and row["Name"] == "web" and row["IPv6"] == "false", row
assert row["Labels"] == "team=web,tier=front", row
PY
}

@test "network ls filters: name, id, driver, label, type, dangling; unknown ones are errors" {
  import_busybox
  "$SKIFF" network create --label team=db db1 >/dev/null
  "$SKIFF" network create --label team=web --label tier=front web1 >/dev/null
  "$SKIFF" network create web2 >/dev/null
  web2=$("$SKIFF" network inspect -f '{{.Id}}' web2)
  "$SKIFF" create --name user --network none busybox true >/dev/null
  "$SKIFF" network connect web1 user
  names() { "$SKIFF" network ls --format '{{.Name}}' "$@" | paste -sd ' '; }
  assert_equal "$(names --filter name=web)" "web1 web2"
  assert_equal "$(names --filter name=web --filter name=db)" "db1 web1 web2"
  assert_equal "$(names --filter name=^web)" ""  # a part of the name, not an expression
  assert_equal "$(names --filter id="${web2:0:6}")" web2
  assert_equal "$(names --filter driver=bridge)" "db1 web1 web2"
  assert_equal "$(names --filter driver=null --filter driver=host)" "host none"
  assert_equal "$(names --filter label=team)" "db1 web1"
  assert_equal "$(names --filter label=team=web --filter label=tier=front)" web1
  assert_equal "$(names --filter label=team=web --filter label=tier=back)" ""
  assert_equal "$(names --filter type=builtin)" "host none slirp"
  assert_equal "$(names --filter type=custom --filter name=1)" "db1 web1"
  assert_equal "$(names --filter dangling=true)" "db1 web2"
  assert_equal "$(names --filter dangling=false)" "host none slirp web1"
  run_skiff 125 network ls --filter colour=red
  assert_skiff_error "invalid filter \`colour\`: the filters here are dangling, driver, id, label, name, type"
  run_skiff 125 network ls --filter type=mine
  assert_skiff_error "invalid filter \`type=mine\`: use builtin or custom"
  run_skiff 125 network ls --filter dangling=maybe
  assert_skiff_error "invalid filter \`dangling=maybe\`: use true or false"
  run_skiff 125 network ls --format '{{.Nope}}'
  assert_skiff_error "template parsing error"
}

@test "bad names, drivers, subnets, gateways and options: exit 125, a clear error, the store unchanged" {
  "$SKIFF" network create --subnet 10.89.0.0/24 keep >/dev/null
  before=$(store_networks)
  refused() {
    local expected=$1
    shift
    run_skiff 125 network create "$@"
    assert_skiff_error "$expected"
    assert_equal "$(store_networks)" "$before"
  }
  refused 'network create bad/name: invalid network name "bad/name": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*' bad/name
  refused 'invalid network name "-x"' -- -x
  refused 'invalid network name ".hidden"' .hidden
  for builtin in slirp default bridge slirp4netns host none pasta; do
    refused "network create $builtin: $builtin is a pre-defined network and cannot be created" "$builtin"
  done
  refused 'network create n1: network driver "macvlan" is not available: skiff has only the bridge driver' -d macvlan n1
  refused 'network create n2: invalid subnet "10.91.0.5/24": it should be 10.91.0.0/24' --subnet 10.91.0.5/24 n2
  refused 'network create n3: invalid subnet "10.0.0.0/8": use a prefix length from 16 to 29' --subnet 10.0.0.0/8 n3
  refused 'invalid subnet "10.91.0.0/30": use a prefix length from 16 to 29' --subnet 10.91.0.0/30 n4
  refused 'invalid subnet "fd00::/64": expected an IPv4 address and prefix length' --subnet fd00::/64 n5
  refused 'invalid subnet "10.91.0.0": expected an IPv4 address' --subnet 10.91.0.0 n6
  refused 'network create n7: subnet 10.89.0.0/16 overlaps 10.89.0.0/24 of network keep' --subnet 10.89.0.0/16 n7
  refused 'subnet 10.89.0.0/24 overlaps 10.89.0.0/24 of network keep' --subnet 10.89.0.0/24 n8
  refused 'network create n9: subnet 10.0.2.0/24 overlaps 10.0.2.0/24, the default (slirp) network'"'"'s' --subnet 10.0.2.0/24 n9
  refused 'subnet 10.0.0.0/16 overlaps 10.0.2.0/24' --subnet 10.0.0.0/16 n10
  refused 'gateway 10.92.1.1 is not in subnet 10.92.0.0/24' --subnet 10.92.0.0/24 --gateway 10.92.1.1 n11
  refused 'gateway 10.92.0.0 is the network address of subnet 10.92.0.0/24' --subnet 10.92.0.0/24 --gateway 10.92.0.0 n12
  refused 'gateway 10.92.0.255 is the broadcast address' --subnet 10.92.0.0/24 --gateway 10.92.0.255 n13
  refused 'invalid gateway "fd00::1": expected an IPv4 address' --subnet 10.92.0.0/24 --gateway fd00::1 n14
  refused '--gateway 10.92.0.1 needs --subnet' --gateway 10.92.0.1 n15
  refused 'invalid option "com.docker.network.bridge.name": the bridge driver takes only -o com.docker.network.driver.mtu=MTU' \
    -o com.docker.network.bridge.name=br0 n16
  refused 'invalid MTU "67": use a number from 68 to 65520' -o com.docker.network.driver.mtu=67 n17
  refused 'invalid MTU "65521"' --opt com.docker.network.driver.mtu=65521 n18
  refused 'invalid MTU "big"' -o com.docker.network.driver.mtu=big n19
  refused 'a label needs a name' --label =x n20
  run_skiff 125 network create
  assert_equal "$(store_networks)" "$before"
  assert_equal "$(network_names)" keep
}

@test "concurrent creates: one network for one name, distinct subnets for different names" {
  for i in 1 2 3 4 5 6; do
    "$SKIFF" network create race >"$SKIFF_TEST_DIR/out$i" 2>"$SKIFF_TEST_DIR/err$i" &
  done
  wait
  made=0
  for i in 1 2 3 4 5 6; do
    if [[ $(cat "$SKIFF_TEST_DIR/out$i") =~ ^[0-9a-f]{64}$ ]]; then
      made=$((made + 1))
      winner=$(cat "$SKIFF_TEST_DIR/out$i")
    else
      assert_equal "$(cat "$SKIFF_TEST_DIR/err$i")" "skiff: network create race: network with name race already exists"
    fi
  done
  assert_equal "$made" 1
  assert_equal "$(network_names)" race
  assert_equal "$(ls "$SKIFF_ROOT/networks")" "$winner.json"

  for i in 1 2 3 4 5 6 7 8; do "$SKIFF" network create "n$i" >/dev/null & done
  wait
  assert_equal "$(network_names | wc -l)" 9
  subnets=$(for i in 1 2 3 4 5 6 7 8; do "$SKIFF" network inspect -f '{{(index .IPAM.Config 0).Subnet}}' "n$i"; done)
  assert_equal "$(echo "$subnets" | sort -u | wc -l)" 8
  # race has 10.89.0.0/24; the others the next eight.
  assert_equal "$(echo "$subnets" | sort -t. -k3n | paste -sd ' ')" \
    "10.89.1.0/24 10.89.2.0/24 10.89.3.0/24 10.89.4.0/24 10.89.5.0/24 10.89.6.0/24 10.89.7.0/24 10.89.8.0/24"
}

@test "network inspect: built-ins have docker's shape; a missing network is reported, the others shown" {
  run_skiff network inspect slirp none host
  python3 - "$output" "$(builtin_id slirp)" <<'PY'
import json, sys
slirp, none, host = json.loads(sys.argv[1])
for n in (slirp, none, host):
    assert list(n) == ["Name", "Id", "Created", "Scope", "Driver", "EnableIPv6", "IPAM", "Internal", "Attachable",
                       "Ingress", "ConfigFrom", "ConfigOnly", "Containers", "Options", "Labels"], list(n)
    assert n["Scope"] == "local" and n["Containers"] == {} and n["Labels"] == {}, n
assert slirp["Id"] == sys.argv[2] and slirp["Driver"] == "slirp", slirp
assert slirp["IPAM"]["Config"] == [{"Subnet": "10.0.2.0/24", "Gateway": "10.0.2.2"}], slirp["IPAM"]
assert (none["Driver"], none["IPAM"]["Config"]) == ("null", []), none
assert (host["Driver"], host["IPAM"]["Config"]) == ("host", []), host
PY
  # docker's names for the default network are slirp's.
  run_skiff network inspect -f '{{.Name}}' bridge default slirp4netns "$(builtin_id none)"
  assert_equal "$output" "slirp"$'\n'"slirp"$'\n'"slirp"$'\n'"none"
  "$SKIFF" network create web >/dev/null
  run_skiff_split 125 network inspect -f '{{.Name}}' web nosuch host
  assert_equal "$output" "web"$'\n'"host"
  assert_equal "$stderr" "skiff: network nosuch not found"
  run_skiff_split 125 network inspect nosuch
  assert_equal "$output" "[]"
  run_skiff 125 network inspect
}

@test "network rm: prints each name, -f skips missing ones, built-ins are refused" {
  "$SKIFF" network create a1 >/dev/null
  id=$("$SKIFF" network create a2)
  "$SKIFF" network create a3 >/dev/null
  run_skiff network rm a1 "${id:0:12}"
  assert_equal "$output" "a1"$'\n'"${id:0:12}"
  assert_equal "$(network_names)" a3
  [ ! -e "$SKIFF_ROOT/networks/$id.json" ]
  run_skiff_split 125 network remove nosuch a3
  assert_equal "$output" a3
  assert_equal "$stderr" "skiff: network nosuch not found"
  run_skiff network rm -f nosuch
  assert_equal "$output" ""
  before=$(store_networks)
  for builtin in slirp host none bridge; do
    run_skiff 125 network rm -f "$builtin"
    assert_equal "$output" "skiff: network rm $builtin: $builtin is a pre-defined network and cannot be removed"
  done
  assert_equal "$(store_networks)" "$before"
  run_skiff 125 network rm
}

@test "rm and prune leave a network a container uses, in any state" {
  import_busybox
  "$SKIFF" network create used >/dev/null
  "$SKIFF" network create --label keep=1 spare >/dev/null
  # An exited container, then a created one.
  run_skiff run --name c1 --network none busybox true
  id=$("$SKIFF" inspect -f '{{.Id}}' c1)
  run_skiff network connect used c1
  before=$(store_networks)
  run_skiff 125 network rm used
  assert_equal "$output" "skiff: network rm used: network is in use by container(s) ${id:0:12}"
  id2=$("$SKIFF" create --network none busybox true)
  run_skiff network connect used "$id2"
  run_skiff 125 network rm used
  [[ $output == "skiff: network rm used: network is in use by container(s) "* ]]
  assert_output_contains "${id:0:12}"
  assert_output_contains "${id2:0:12}"
  assert_equal "$(store_networks)" "$before"
  run_skiff network prune -f --filter label!=keep
  assert_equal "$output" ""
  run_skiff network prune -f
  assert_equal "$output" "Deleted Networks:
spare"
  assert_equal "$(network_names)" used
  "$SKIFF" rm c1 "$id2" >/dev/null
  run_skiff network rm used
  assert_equal "$output" used
  assert_equal "$(network_names)" ""
}

@test "network prune: filters, docker's output, and the question" {
  "$SKIFF" network create --label keep=yes k1 >/dev/null
  "$SKIFF" network create --label keep=no k2 >/dev/null
  "$SKIFF" network create plain >/dev/null
  # Without a terminal and without -f: refused, nothing removed.
  before=$(store_networks)
  run_skiff 125 network prune </dev/null
  assert_skiff_error "network prune: confirmation needed to remove all custom networks not used by at least one container, and stdin is not a terminal: use -f (--force)"
  assert_equal "$(store_networks)" "$before"
  run_skiff 125 network prune -f --filter dangling=true
  assert_skiff_error "invalid filter \`dangling\`: the filters here are until, label"
  run_skiff 125 network prune -f --filter until=yesterday
  assert_skiff_error "until=yesterday"
  assert_equal "$(store_networks)" "$before"
  # Made in the future of until=: kept.
  run_skiff network prune -f --filter until=1h
  assert_equal "$output" ""
  run_skiff network prune --force --filter label=keep=no
  assert_equal "$output" "Deleted Networks:
k2"
  run_skiff network prune -f --filter label!=keep
  assert_equal "${lines[1]}" plain
  assert_equal "$(network_names)" k1
  command -v script >/dev/null || skip "script(1) is not installed"
  run bash -c 'echo n | script -qec "$0 network prune" /dev/null' "$SKIFF"
  [[ $output == *"WARNING! This will remove all custom networks not used by at least one container."* ]]
  [[ $output == *"Are you sure you want to continue? [y/N]"* ]]
  [[ $output == *"network prune has been cancelled"* ]]
  assert_equal "$(network_names)" k1
  run bash -c 'echo y | script -qec "$0 network prune" /dev/null' "$SKIFF"
  [[ $output == *"Deleted Networks:"* ]]
  assert_equal "$(network_names)" ""
}

@test "network connect and disconnect of a stopped container: its record, ps and inspect" {
  import_busybox
  "$SKIFF" network create --subnet 10.95.0.0/24 web >/dev/null
  "$SKIFF" network create other >/dev/null
  id=$("$SKIFF" create --name c1 --network none busybox true)
  "$SKIFF" create --name peer busybox true >/dev/null
  run_skiff network connect --alias api --alias backend --ip 10.95.0.7 --link peer --link peer:db web c1
  assert_equal "$output" ""
  run_skiff inspect -f '{{.HostConfig.NetworkMode}} {{json .HostConfig.Links}}' c1
  assert_equal "$output" 'web ["peer:peer","peer:db"]'
  assert_equal "$(config_field "$id" EndpointConfig)" '{"Aliases": ["api", "backend"], "IPv4Address": "10.95.0.7"}'
  # The record's listing summary was rewritten too: ps sees the new network.
  run_skiff ps -a --filter network=web --format '{{.Names}}'
  assert_equal "$output" c1

  # Refusals leave the record as it was.
  config=$(cat "$SKIFF_ROOT/containers/$id/config.json")
  run_skiff 125 network connect web c1
  assert_equal "$output" "skiff: network connect: endpoint with name c1 already exists in network web"
  run_skiff 125 network connect other c1
  assert_equal "$output" "skiff: network connect: container c1 is on network web: skiff puts a container on one network at a time: disconnect it first"
  run_skiff 125 network connect nosuch c1
  assert_equal "$output" "skiff: network connect: network nosuch not found"
  run_skiff 125 network connect web nosuch
  assert_equal "$output" "skiff: network connect: No such container: nosuch"
  run_skiff 125 network connect host c1
  assert_skiff_error "network connect: host is a built-in network"
  run_skiff 125 network disconnect other c1
  assert_equal "$output" "skiff: network disconnect: container c1 is not connected to network other"
  assert_equal "$(cat "$SKIFF_ROOT/containers/$id/config.json")" "$config"
  run_skiff network disconnect -f other c1

  run_skiff network disconnect web c1
  assert_equal "$output" ""
  run_skiff inspect -f '{{.HostConfig.NetworkMode}} {{json .HostConfig.Links}}' c1
  assert_equal "$output" "none null"
  assert_equal "$(config_field "$id" EndpointConfig)" null
  run_skiff ps -a --filter network=web --format '{{.Names}}'
  assert_equal "$output" ""
  run_skiff 125 network disconnect web c1
  assert_skiff_error "not connected to network web"

  # --ip: a host address of the subnet, not the gateway.
  id2=$("$SKIFF" create --network none busybox true)
  config=$(cat "$SKIFF_ROOT/containers/$id2/config.json")
  run_skiff 125 network connect --ip 10.96.0.7 web "$id2"
  assert_skiff_error "--ip 10.96.0.7 is not a host address of network web's subnet 10.95.0.0/24"
  run_skiff 125 network connect --ip 10.95.0.1 web "$id2"
  assert_skiff_error "--ip 10.95.0.1 is network web's gateway"
  run_skiff 125 network connect --ip 10.95.0.255 web "$id2"
  run_skiff 125 network connect --ip bogus web "$id2"
  assert_skiff_error 'invalid --ip "bogus"'
  run_skiff 125 network connect --link :x web "$id2"
  assert_skiff_error 'invalid --link `:x`: use NAME[:ALIAS]'
  assert_equal "$(cat "$SKIFF_ROOT/containers/$id2/config.json")" "$config"
  # A container on the default network moves to the new one, by the network's ID.
  run_skiff network connect "$("$SKIFF" network inspect -f '{{.Id}}' other)" peer
  run_skiff inspect -f '{{.HostConfig.NetworkMode}} {{json .HostConfig.Links}}' peer
  assert_equal "$output" "other []"
  # Connected containers are removed as before.
  run_skiff rm "$id" "$id2" peer
}

@test "network connect and disconnect refuse a running container" {
  import_busybox
  "$SKIFF" network create web >/dev/null
  run_skiff run -d --name busy --network none busybox sleep 100
  id=$output
  config=$(cat "$SKIFF_ROOT/containers/$id/config.json")
  run_skiff 125 network connect web busy
  assert_equal "$output" "skiff: network connect: container busy is running: skiff connects and disconnects stopped containers; stop it first"
  run_skiff 125 network disconnect web busy
  assert_equal "$output" "skiff: network disconnect: container busy is running: skiff connects and disconnects stopped containers; stop it first"
  assert_equal "$(cat "$SKIFF_ROOT/containers/$id/config.json")" "$config"
  run_skiff inspect -f '{{.HostConfig.NetworkMode}} {{.State.Status}}' busy
  assert_equal "$output" "none running"
  # Stopped, it can be connected.
  "$SKIFF" stop -t 0 busy >/dev/null
  run_skiff network connect web busy
  run_skiff inspect -f '{{.HostConfig.NetworkMode}}' busy
  assert_equal "$output" web
}
