#!/usr/bin/env bats
# User-defined networks at work: containers on one network get addresses
# of its subnet on eth0 and reach each other by name, alias, short ID and
# --link alias through the network's own process, which also gives them
# the way out (one libslirp stack) and ends with its last container.
# `network create/ls/...` themselves are 061-network-cmd.bats's.
load helpers
load net_helpers

# The live processes of network ID (skiff __network ROOT RUNROOT ID FD).
network_processes() { live_processes "__network .*$1"; }

@test "containers on a network reach each other by name, alias and short ID, on eth0 in its subnet" {
  run_skiff network create --subnet 10.89.40.0/24 apps
  run_skiff run -d --name web --network apps --network-alias www -e TEXT=served-by-web busybox sh -c "$WEB"
  web_id=$output
  run_skiff run --rm --network apps busybox sh -c \
    'ip -o -4 addr show eth0; ip route; cat /etc/resolv.conf; for n in web www '"${web_id:0:12}"'; do wget -qO- http://$n:8080/i; done'
  assert_output_contains "inet 10.89.40."
  assert_output_contains "default via 10.89.40.1 dev eth0"
  assert_output_contains "nameserver 10.89.40.254"
  [ "$(echo "$output" | grep -c '^served-by-web$')" -eq 3 ]
  # inspect shows the running container's address and its aliases.
  run_skiff inspect -f '{{.NetworkSettings.Networks.apps.IPAddress}} {{.NetworkSettings.IPAddress}} {{json .NetworkSettings.Networks.apps.Aliases}}' web
  [[ $output =~ ^10\.89\.40\.([0-9]+)\ 10\.89\.40\.[0-9]+\ .*\"www\" ]]
  # The web container is reached at that address, and sees the client's.
  run_skiff run --rm --network apps busybox wget -qO- "http://${output%% *}:8080/i"
  assert_equal "$output" served-by-web
}

@test "names of other networks don't resolve there, and their addresses are out of reach" {
  run_skiff network create --subnet 10.89.41.0/24 one
  run_skiff network create --subnet 10.89.42.0/24 two
  run_skiff run -d --name lonely --network one -e TEXT=x busybox sh -c "$WEB"
  ip=$("$SKIFF" inspect -f '{{.NetworkSettings.Networks.one.IPAddress}}' lonely)
  [[ $ip == 10.89.41.* ]]
  run_skiff 1 run --rm --network two busybox sh -c "nslookup lonely 10.89.42.254 >/dev/null 2>&1 && exit 0; wget -T 2 -qO- http://$ip:8080/i && exit 0; exit 1"
}

@test "outbound TCP and DNS from a user-defined network go through its one slirp stack" {
  address=$(host_address)
  host_dns_answer
  python_flags
  run_skiff network create out
  start_peer srv tcp-serve 0.0.0.0 "$SKIFF_TEST_DIR/srv.port" hello-from-host
  run_skiff run --rm --network out busybox nc "$address" "$PEER_PORT"
  assert_equal "$output" hello-from-host
  # A name that is no container's is the host's resolvers' to answer.
  dns=$("$SKIFF" network inspect -f '{{(index .IPAM.Config 0).Subnet}}' out)
  [ "$dns" = 10.89.0.0/24 ]
  run_skiff run --rm --network out "${PY_FLAGS[@]}" busybox "$CTR_PY" /t/net_tool.py dns "$DNS_NAME" 10.89.0.254 1 2
  assert_equal "$output" "$HOST_ANSWER"
}

@test "--internal: containers reach each other, not the outside" {
  address=$(host_address)
  run_skiff network create --internal closed
  start_peer srv tcp-serve 0.0.0.0 "$SKIFF_TEST_DIR/srv.port" hello-from-host 2
  run_skiff run -d --name inner --network closed -e TEXT=inside busybox sh -c "$WEB"
  run_skiff run --rm --network closed busybox sh -c "wget -qO- http://inner:8080/i; timeout 3 nc $address $PEER_PORT 2>/dev/null || echo no-way-out"
  assert_equal "$output" $'inside\nno-way-out'
}

@test "--link NAME:ALIAS: the alias resolves for the linking container only; with no --network it joins NAME's" {
  run_skiff network create linked
  run_skiff run -d --name db --network linked -e TEXT=from-db busybox sh -c "$WEB"
  run_skiff run --rm --link db:database busybox wget -qO- http://database:8080/i
  assert_equal "$output" from-db
  run_skiff create --name app --link db busybox true
  run_skiff inspect -f '{{.HostConfig.NetworkMode}} {{json .HostConfig.Links}}' app
  assert_equal "$output" 'linked ["db:db"]'
  # Another container on the network doesn't know the alias (the host's
  # resolvers get the question; busybox's wget crashes on a name that
  # doesn't resolve, so nslookup asks).
  run_skiff 1 run --rm --network linked busybox nslookup database
}

@test "--link errors: no such container, a container on slirp, another network; nothing is created" {
  run_skiff network create n1
  run_skiff network create n2
  run_skiff create --name on-slirp busybox true
  run_skiff create --name on-n1 --network n1 busybox true
  before=$(ls "$SKIFF_ROOT/containers" | sort)
  run_skiff 125 run --rm --link nosuch busybox true
  assert_output_contains "nosuch"
  run_skiff 125 run --rm --link on-slirp busybox true
  assert_output_contains "skiff network create"
  run_skiff 125 run --rm --network n2 --link on-n1 busybox true
  assert_output_contains "on network n1"
  run_skiff 125 run --rm --link on-n1:bad/alias busybox true
  [ "$(ls "$SKIFF_ROOT/containers" | sort)" = "$before" ]
}

@test "--ip: a chosen address; one outside the subnet is refused at create, a taken one at start" {
  run_skiff network create --subnet 10.89.43.0/24 fixed
  run_skiff run -d --name fixed-a --network fixed --ip 10.89.43.77 busybox sleep 60
  run_skiff inspect -f '{{.NetworkSettings.Networks.fixed.IPAddress}} {{.NetworkSettings.Networks.fixed.IPAMConfig.IPv4Address}}' fixed-a
  assert_equal "$output" "10.89.43.77 10.89.43.77"
  run_skiff run --rm --network fixed busybox ping -c1 -W2 10.89.43.77
  run_skiff 125 create --network fixed --ip 10.0.0.1 busybox true
  assert_output_contains "10.89.43.0/24"
  run_skiff 125 create --network fixed --ip 10.89.43.1 busybox true
  run_skiff 125 run --rm --ip 10.89.43.9 busybox true
  assert_output_contains "user-defined network"
  run_skiff 125 run --rm --network-alias x busybox true
  run_skiff 125 run --rm --network fixed --ip 10.89.43.77 busybox true
  assert_output_contains "already in use"
}

@test "the network's process starts with its first container, comes back when killed, and ends with its last" {
  run_skiff network create life
  id=$("$SKIFF" network inspect -f '{{.Id}}' life)
  [ -z "$(network_processes "$id")" ]
  run_skiff run -d --name l1 --network life busybox sleep 60
  run_skiff run -d --name l2 --network life busybox sleep 60
  [ "$(network_processes "$id" | wc -w)" -eq 1 ]
  # Killed, the network's process is started again by its members, which
  # join with the addresses they had and plug their eth0 in again.
  old=$(network_processes "$id")
  kill -9 $old
  for _ in $(seq 100); do
    new=$(network_processes "$id")
    [ -n "$new" ] && [ "$new" != "$old" ] && break
    sleep 0.05
  done
  [ -n "$new" ] && [ "$new" != "$old" ]
  sleep 0.5
  run_skiff exec l1 ping -c1 -W2 l2
  run_skiff rm -f l1
  [ "$(network_processes "$id" | wc -w)" -eq 1 ]
  run_skiff run --rm --network life busybox ping -c1 -W2 l2
  run_skiff rm -f l2
  wait_no_processes "__network .*$id"
  # A container killed with its monitor leaves the network too.
  run_skiff run -d --name l3 --network life busybox sleep 60
  pkill -9 -f "__monitor .* $("$SKIFF" inspect -f '{{.Id}}' l3)"
  wait_no_processes "__network .*$id"
  # And the next one starts it again.
  run_skiff run --rm --network life busybox ip -o -4 addr show eth0
  assert_output_contains "inet 10.89.0."
  wait_no_processes "__network .*$id"
}

@test "a container on a network publishes ports; restart keeps its name reachable" {
  run_skiff network create pub
  port=$(net free-port tcp)
  run_skiff run -d --name site --network pub -p "$port:8080" busybox sh -c "$COUNTING_WEB"
  http_until 127.0.0.1 "$port" /i 1
  run_skiff restart site
  http_until 127.0.0.1 "$port" /i 2
  run_skiff run --rm --network pub busybox wget -qO- http://site:8080/i
  assert_equal "$output" 2
}

@test "a foreground run on a network, and --network with a missing network: exit 125, nothing created" {
  run_skiff network create fg
  run_skiff run --rm --network fg busybox sh -c 'ip -o -4 addr show eth0 | grep -c 10.89.0.'
  assert_equal "$output" 1
  before=$(ls "$SKIFF_ROOT/containers" | sort)
  run_skiff 125 run --rm --network nosuchnet busybox true
  assert_output_contains "network nosuchnet not found"
  run_skiff 125 create --network nosuchnet busybox true
  # One network at a time.
  run_skiff 125 create --network fg --network fg busybox true
  assert_skiff_error "flag given more than once: --network"
  [ "$(ls "$SKIFF_ROOT/containers" | sort)" = "$before" ]
}

@test "a hostile container can't crash its network: junk frames and DNS queries, then names still resolve" {
  python_flags
  run_skiff network create rough
  run_skiff run -d --name target --network rough -e TEXT=alive busybox sh -c "$WEB"
  # Malformed DNS queries to the network's resolver, and raw junk.
  run_skiff run --rm --network rough "${PY_FLAGS[@]}" busybox "$CTR_PY" /t/net_tool.py dns-junk 10.89.0.254
  assert_equal "$output" answered
  run_skiff run --rm --network rough busybox wget -qO- http://target:8080/i
  assert_equal "$output" alive
}

@test "network connect puts a stopped container on the network (resolver included); disconnect leaves it on none" {
  run_skiff network create --subnet 10.89.44.0/24 later
  run_skiff create --name joiner -e TEXT=joined busybox sh -c "$WEB"
  run_skiff network connect --alias j2 later joiner
  # Stopped, it is on the network already: inspect names the network's ID.
  run_skiff inspect -f '{{.NetworkSettings.Networks.later.NetworkID}}' joiner
  assert_equal "$output" "$("$SKIFF" network inspect -f '{{.Id}}' later)"
  run_skiff start joiner
  run_skiff run --rm --network later busybox sh -c 'wget -qO- http://joiner:8080/i; wget -qO- http://j2:8080/i'
  assert_equal "$output" $'joined\njoined'
  run_skiff exec joiner cat /etc/resolv.conf
  assert_output_contains "nameserver 10.89.44.254"
  run_skiff rm -f joiner
  run_skiff create --name leaver --network later busybox sh -c 'ip -o link; cat /etc/resolv.conf'
  run_skiff network disconnect later leaver
  run_skiff start -a leaver
  assert_output_not_contains "eth0"
  assert_output_not_contains "10.89.44.254"
}

@test "a container can't take another's traffic: frames with another's MAC or address are dropped" {
  run_skiff network create --subnet 10.89.45.0/24 guarded
  run_skiff run -d --name victim --network guarded -e TEXT=genuine busybox sh -c "$WEB"
  run_skiff inspect -f '{{.NetworkSettings.Networks.guarded.MacAddress}} {{.NetworkSettings.Networks.guarded.IPAddress}}' victim
  read -r mac ip <<<"$output"
  [ "$mac" = 02:42:0a:59:2d:02 ]
  # One thief takes the victim's MAC, the other claims its address with
  # gratuitous ARP; both serve a page of their own there.
  steal='mkdir -p /www && echo stolen > /www/i && httpd -p 8080 -h /www && ip addr add '"$ip"'/24 dev eth0 && while :; do arping -U -c1 -I eth0 -s '"$ip $ip"' >/dev/null 2>&1; sleep 0.1; done'
  run_skiff run -d --name thief-mac --network guarded --cap-add NET_ADMIN busybox sh -c \
    "ip link set eth0 down && ip link set eth0 address $mac && ip link set eth0 up && ip route add default via 10.89.45.1; $steal"
  run_skiff run -d --name thief-arp --network guarded --cap-add NET_ADMIN busybox sh -c "$steal"
  sleep 1
  for _ in 1 2 3; do
    run_skiff run --rm --network guarded busybox sh -c "wget -qO- http://$ip:8080/i; arping -c1 -I eth0 $ip | grep -io '[0-9a-f:]\{17\}'"
    assert_equal "${output,,}" $'genuine\n'"$mac"
  done
}
