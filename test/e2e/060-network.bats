#!/usr/bin/env bats
# Rootless networking: the built-in slirp network (tap0, its addresses,
# routes, DNS forwarder and the host's loopback), none and host, published
# TCP and UDP ports (-p, -P, --expose, ranges, host addresses) and their
# life with the container, --dns/--dns-search/--dns-option/--add-host/
# --mac-address, and the errors. No test reaches beyond this machine: the
# peers are python3 servers (test/e2e/net_tool.py) on the host's own
# addresses.
load helpers
load net_helpers

@test "the default network: tap0 at 10.0.2.100/24 and fd00::100/64, routes via 10.0.2.2, MTU 65520, DNS 10.0.2.3, the hostname in /etc/hosts" {
  run_skiff run --rm --hostname web1 busybox sh -c 'ip -o addr show tap0; echo; ip route; ip -6 route; cat /sys/class/net/tap0/mtu; cat /etc/resolv.conf /etc/hosts'
  assert_output_contains "inet 10.0.2.100/24"
  assert_output_contains "inet6 fd00::100/64"
  assert_output_contains "default via 10.0.2.2 dev tap0"
  assert_output_contains "default via fd00::2 dev tap0"
  assert_output_contains $'\n65520\n'
  assert_output_contains $'nameserver 10.0.2.3\n'
  assert_output_not_contains "nameserver 127."
  assert_output_contains $'10.0.2.100\tweb1'
  assert_output_contains $'127.0.0.1\tlocalhost'
  # While it runs, inspect shows the addresses; the record says slirp.
  run_skiff run -d --name addr busybox sleep 100
  run_skiff inspect -f '{{.HostConfig.NetworkMode}} {{.NetworkSettings.IPAddress}}/{{.NetworkSettings.IPPrefixLen}} {{.NetworkSettings.Gateway}} {{.NetworkSettings.GlobalIPv6Address}} {{.NetworkSettings.IPv6Gateway}}' addr
  assert_equal "$output" "slirp 10.0.2.100/24 10.0.2.2 fd00::100 fd00::2"
  run_skiff inspect -f '{{.NetworkSettings.Networks.slirp.IPAddress}} {{.NetworkSettings.Networks.slirp.Gateway}}' addr
  assert_equal "$output" "10.0.2.100 10.0.2.2"
  run_skiff ps --filter network=slirp --format '{{.Names}} {{.Networks}}'
  assert_equal "$output" "addr slirp"
  # Once it stopped, no address.
  run_skiff stop -t 0 addr
  run_skiff inspect -f '[{{.NetworkSettings.IPAddress}}]' addr
  assert_equal "$output" "[]"
}

@test "default, bridge and slirp4netns name the slirp network; mtu= and enable_ipv6=false change tap0" {
  for mode in default bridge slirp4netns slirp; do
    run_skiff run --rm --network "$mode" busybox ip -o -4 addr show tap0
    assert_output_contains "10.0.2.100/24"
  done
  run_skiff run --rm --network slirp:mtu=1500 busybox cat /sys/class/net/tap0/mtu
  assert_equal "$output" 1500
  run_skiff run --rm --network slirp:enable_ipv6=false busybox sh -c 'ip -o addr show tap0; ip -6 route'
  assert_output_contains "10.0.2.100/24"
  assert_output_not_contains "fd00::"
  run_skiff run -d --name nov6 --network slirp:enable_ipv6=false,mtu=9000 busybox sleep 100
  run_skiff inspect -f '{{.NetworkSettings.IPAddress}} [{{.NetworkSettings.GlobalIPv6Address}}]' nov6
  assert_equal "$output" "10.0.2.100 []"
  # ps names the network slirp, whatever its options or alias.
  run_skiff run -d --name aliased --network bridge busybox sleep 100
  run_skiff ps --filter network=slirp --format '{{.Names}} {{.Networks}}'
  assert_equal "$(sort <<<"$output")" $'aliased slirp\nnov6 slirp'
}

@test "bad --network values exit 125 and create nothing" {
  run_skiff 125 create --network bogus busybox true
  assert_skiff_error "network bogus not found"
  run_skiff 125 create --network bo/gus busybox true
  assert_skiff_error "invalid --network \`bo/gus\`"
  run_skiff 125 create --network slirp:mtu=10 busybox true
  assert_skiff_error "mtu=10"
  run_skiff 125 create --network slirp:mtu=65521 busybox true
  assert_skiff_error "1280 to 65520"
  run_skiff 125 create --network slirp:bogus=1 busybox true
  assert_skiff_error "bogus=1"
  run_skiff 125 create --network slirp:allow_host_loopback=maybe busybox true
  assert_skiff_error "use true or false"
  run_skiff 125 create --network none:x busybox true
  assert_skiff_error "takes no options"
  run_skiff 125 run --rm --network host:x busybox true
  assert_skiff_error "takes no options"
  run_skiff 125 create --network container: busybox true
  assert_skiff_error "container:NAME"
  [ -z "$("$SKIFF" ps -aq)" ]
}

@test "--network container:NAME shares NAME's network: its tap0, its loopback services; recorded by ID" {
  run_skiff run -d --name base --mac-address 92:d0:c6:0a:29:35 busybox \
    sh -c 'mkdir /www; echo shared > /www/i; exec httpd -f -p 127.0.0.1:8080 -h /www'
  id=$("$SKIFF" inspect -f '{{.Id}}' base)
  run_skiff run --rm --network container:base busybox sh -c 'ip -o link show tap0; ip -o -4 addr show tap0; wget -qO- http://127.0.0.1:8080/i'
  assert_output_contains "92:d0:c6:0a:29:35"
  assert_output_contains "10.0.2.100/24"
  assert_output_contains shared
  run_skiff create --name joiner --network container:base busybox sleep 100
  run_skiff inspect -f '{{.HostConfig.NetworkMode}}' joiner
  assert_equal "$output" "container:$id"
  # By ID: a rename of NAME does not break it.
  run_skiff rename base base2
  run_skiff start joiner
  run_skiff exec joiner wget -qO- http://127.0.0.1:8080/i
  assert_equal "$output" shared
  run_skiff ps --filter name=joiner --format '{{.Networks}}'
  assert_equal "$output" "container:$id"
}

@test "in a container:NAME network, /sys/class/net lists NAME's interfaces, not the host's" {
  run_skiff run -d --name base busybox sleep 100
  run_skiff exec base ls /sys/class/net
  own=$output
  run_skiff run --rm --network container:base busybox ls /sys/class/net
  assert_equal "$output" "$own"
  assert_output_contains tap0
}

@test "--network container:NAME errors: no such container, not running (run --rm leaves nothing), conflicting flags" {
  run_skiff 125 run --rm --network container:nosuch busybox true
  assert_skiff_error "No such container: nosuch"
  run_skiff create --name idle busybox sleep 100
  run_skiff 125 run --rm --network container:idle busybox true
  assert_skiff_error "it is not running"
  run_skiff 125 run -d --rm --network container:idle busybox true
  assert_skiff_error "it is not running"
  run_skiff ps -a --format '{{.Names}}'
  assert_equal "$output" idle
  run_skiff start idle
  for flags in "-p 8080" "-P" "--dns 192.0.2.53" "--dns-search a.test" "--dns-option ndots:1" \
    "--add-host db:192.0.2.10" "--mac-address 92:d0:c6:0a:29:33" "--hostname other"; do
    # shellcheck disable=SC2086
    run_skiff 125 create --network container:idle $flags busybox true
    assert_skiff_error "conflicting options"
  done
  run_skiff ps -a --format '{{.Names}}'
  assert_equal "$output" idle
}

@test "--network pasta is checked at create: accepted where pasta is installed, refused clearly where not" {
  if command -v pasta >/dev/null; then
    run_skiff create --name pasta1 --network pasta busybox true
    run_skiff inspect -f '{{.HostConfig.NetworkMode}}' pasta1
    assert_equal "$output" pasta
  else
    run_skiff 125 create --name pasta1 --network pasta busybox true
    assert_skiff_error "pasta is not installed"
    [ -z "$("$SKIFF" ps -aq)" ]
  fi
}

@test "--network pasta: pasta serves the namespace (the host's addresses), published ports reach it, pasta ends with the container" {
  command -v pasta >/dev/null || skip "pasta is not installed (the passt package)"
  # The namespace's interface copies the host's address: pasta set it up.
  address=$(host_address)
  run_skiff run --rm --network pasta busybox ip -4 addr
  assert_output_contains "$address"
  assert_output_not_contains tap0
  port=$(net free-port tcp)
  run_skiff run -d --name web --network pasta -p "$port:8080" busybox \
    sh -c 'echo hi-from-pasta > /tmp/i; httpd -f -p 8080 -h /tmp'
  run net http-get 127.0.0.1 "$port" /i
  [ "$status" -eq 0 ]
  assert_output_contains hi-from-pasta
  pid=$(cat "$SKIFF_ROOT/containers/$("$SKIFF" inspect -f '{{.Id}}' web)/pasta.pid")
  kill -0 "$pid"
  run_skiff rm -f web
  # SIGTERM when the run ends: gone within a moment (a zombie counts as
  # gone: pasta daemonized, so the host's init reaps it, in its own time).
  ended() { [ ! -e "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
  for _ in $(seq 50); do ended "$pid" && break; sleep 0.1; done
  ended "$pid"
}

@test "--network pasta: a pasta left by a killed monitor is stopped when its container is removed" {
  command -v pasta >/dev/null || skip "pasta is not installed (the passt package)"
  run_skiff run -d --name left --network pasta busybox sleep 1000
  id=$("$SKIFF" inspect -f '{{.Id}}' left)
  pid=$(cat "$SKIFF_ROOT/containers/$id/pasta.pid")
  pkill -9 -f "__monitor .*$id"
  # pasta (as Debian 12 ships it) outlives the processes of the namespace
  # it serves; rm stops it.
  sleep 0.5
  run_skiff rm -f left
  ended() { [ ! -e "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
  for _ in $(seq 50); do ended "$pid" && break; sleep 0.1; done
  ended "$pid"
}

@test "outbound TCP from a foreground run reaches a server on the host's address" {
  address=$(host_address)
  start_peer srv tcp-serve 0.0.0.0 "$SKIFF_TEST_DIR/srv.port" hello-from-host
  run_skiff run --rm busybox nc "$address" "$PEER_PORT"
  assert_equal "$output" hello-from-host
  # libslirp connects from the host's side: the server saw one client.
  wait "${PEER_PIDS[0]}"
  [ "$(wc -l <"$SKIFF_TEST_DIR/srv.log")" -eq 1 ]
}

@test "outbound UDP: a datagram to a server on the host's address is answered" {
  address=$(host_address)
  python_flags
  start_peer echo udp-echo 0.0.0.0 0 "$SKIFF_TEST_DIR/echo.port"
  run_skiff run --rm "${PY_FLAGS[@]}" busybox "$CTR_PY" /t/net_tool.py udp-ask "$address" "$PEER_PORT" ping-udp
  assert_equal "$output" "echo:ping-udp"
  grep -qx "$address" "$SKIFF_TEST_DIR/echo.log"
}

@test "the first UDP datagram a container sends, at once, is answered" {
  # A one-shot client (no resend), as the container's first packet: the
  # reply must not be lost while the slirp stack starts.
  address=$(host_address)
  python_flags
  start_peer echo udp-echo 0.0.0.0 0 "$SKIFF_TEST_DIR/echo.port"
  # Four fresh containers (with and without IPv6, whose first frames
  # differ), since the loss depends on which frame comes first.
  for network in slirp slirp:enable_ipv6=false slirp slirp:enable_ipv6=false; do
    run_skiff run --rm --network "$network" "${PY_FLAGS[@]}" busybox "$CTR_PY" /t/net_tool.py udp-once "$address" "$PEER_PORT" first 2
    assert_equal "$output" "echo:first"
  done
}

@test "the first DNS query a container makes is answered at once" {
  # As a program that starts by resolving a name: one query, no resend
  # (glibc would wait 5 s before its next try).
  host_dns_answer
  python_flags
  for network in slirp slirp:enable_ipv6=false slirp slirp:enable_ipv6=false; do
    run_skiff run --rm --network "$network" "${PY_FLAGS[@]}" busybox "$CTR_PY" /t/net_tool.py dns "$DNS_NAME" 10.0.2.3 1 2
    assert_equal "$output" "$HOST_ANSWER"
  done
}

@test "the host's loopback is out of reach through 10.0.2.2, unless allow_host_loopback=true" {
  start_peer lo tcp-serve 127.0.0.1 "$SKIFF_TEST_DIR/lo.port" hello-loopback
  run_skiff 1 run --rm busybox nc -w 2 10.0.2.2 "$PEER_PORT"
  assert_output_not_contains hello-loopback
  [ ! -s "$SKIFF_TEST_DIR/lo.log" ]
  run_skiff run --rm --network slirp:allow_host_loopback=true busybox nc -w 2 10.0.2.2 "$PEER_PORT"
  assert_equal "$output" hello-loopback
  wait "${PEER_PIDS[0]}"
  assert_equal "$(cat "$SKIFF_TEST_DIR/lo.log")" 127.0.0.1
}

@test "DNS: 10.0.2.3 answers as the host's own resolver does" {
  host_dns_answer
  python_flags
  run_skiff run --rm "${PY_FLAGS[@]}" busybox "$CTR_PY" /t/net_tool.py dns "$DNS_NAME" 10.0.2.3
  assert_equal "$output" "$HOST_ANSWER"
  # The container's resolver, from /etc/resolv.conf, is answered too.
  run timeout "$SKIFF_TEST_TIMEOUT" "$SKIFF" run --rm busybox nslookup "$DNS_NAME"
  assert_output_contains "10.0.2.3:53"
  assert_output_not_contains "timed out"
  assert_output_not_contains "no servers could be reached"
  if [[ $HOST_ANSWER == rcode=3\ * ]]; then assert_output_contains NXDOMAIN; fi
}

@test "--dns, --dns-search, --dns-option and --add-host write resolv.conf and hosts" {
  run_skiff run --rm --hostname box --dns 192.0.2.53 --dns 2001:db8::53 --dns-search example.test \
    --dns-search corp.test --dns-option ndots:2 --dns-option edns0 \
    --add-host db:192.0.2.10 --add-host gw:host-gateway --add-host v6:2001:db8::1 --add-host 'v6b:[2001:db8::2]' \
    busybox sh -c 'cat /etc/resolv.conf; echo ---; cat /etc/hosts'
  expected=$'search example.test corp.test\nnameserver 192.0.2.53\nnameserver 2001:db8::53\noptions ndots:2 edns0\n---'
  expected+=$'\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix'
  expected+=$'\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters'
  expected+=$'\n192.0.2.10\tdb\n10.0.2.2\tgw\n2001:db8::1\tv6\n2001:db8::2\tv6b\n10.0.2.100\tbox'
  assert_equal "$output" "$expected"
  # "." clears the search list.
  run_skiff run --rm --dns-search . busybox cat /etc/resolv.conf
  assert_output_contains "nameserver 10.0.2.3"
  assert_output_not_contains search
  # With the host's network, host-gateway is the host itself.
  run_skiff run --rm --network host --add-host gw:host-gateway busybox tail -1 /etc/hosts
  assert_equal "$output" $'127.0.0.1\tgw'
  run_skiff create --name rec --dns 192.0.2.53 --dns-search a.test --dns-option ndots:1 --add-host db:192.0.2.10 busybox true
  run_skiff inspect -f '{{json .HostConfig.Dns}} {{json .HostConfig.DnsSearch}} {{json .HostConfig.DnsOptions}} {{json .HostConfig.ExtraHosts}}' rec
  assert_equal "$output" '["192.0.2.53"] ["a.test"] ["ndots:1"] ["db:192.0.2.10"]'
}

@test "bad --dns, --dns-search, --add-host and --mac-address values exit 125 and create nothing" {
  run_skiff 125 create --dns not-an-ip busybox true
  assert_skiff_error "invalid --dns \`not-an-ip\`"
  run_skiff 125 create --dns-search 'a b' busybox true
  assert_skiff_error "invalid --dns-search"
  run_skiff 125 create --dns-option '' busybox true
  assert_skiff_error "invalid --dns-option"
  run_skiff 125 create --add-host nocolon busybox true
  assert_skiff_error "use NAME:IP"
  run_skiff 125 create --add-host db:not-an-ip busybox true
  assert_skiff_error "is not an IP address"
  run_skiff 125 create --network none --add-host gw:host-gateway busybox true
  assert_skiff_error "host-gateway needs the slirp or host network"
  run_skiff 125 create --mac-address zz:zz busybox true
  assert_skiff_error "invalid --mac-address"
  run_skiff 125 create --mac-address 92:d0:c6:0a:29 busybox true
  assert_skiff_error "invalid --mac-address"
  run_skiff 125 create --network none --mac-address 92:d0:c6:0a:29:33 busybox true
  assert_skiff_error "--mac-address needs the slirp or a user-defined network"
  run_skiff 125 create --network host --mac-address 92:d0:c6:0a:29:33 busybox true
  assert_skiff_error "--mac-address needs the slirp or a user-defined network"
  [ -z "$("$SKIFF" ps -aq)" ]
}

@test "--mac-address is tap0's address, and inspect shows it while the container runs" {
  run_skiff run --rm --mac-address 92:d0:c6:0a:29:33 busybox cat /sys/class/net/tap0/address
  assert_equal "$output" 92:d0:c6:0a:29:33
  run_skiff run -d --name mac --mac-address 92:d0:c6:0a:29:34 busybox sleep 100
  run_skiff inspect -f '{{.NetworkSettings.MacAddress}} {{.NetworkSettings.Networks.slirp.MacAddress}} {{.Config.MacAddress}}' mac
  assert_equal "$output" "92:d0:c6:0a:29:34 92:d0:c6:0a:29:34 92:d0:c6:0a:29:34"
  run_skiff exec mac cat /sys/class/net/tap0/address
  assert_equal "$output" 92:d0:c6:0a:29:34
}

@test "--network none has only lo: no tap0, no route out, no slirp DNS, nothing published" {
  run_skiff run --rm --network none busybox sh -c 'ls /sys/class/net; ip route; grep -c 10.0.2 /etc/hosts /etc/resolv.conf; true'
  assert_output_contains lo
  assert_output_not_contains tap0
  assert_output_not_contains default
  assert_output_contains "/etc/hosts:0"
  assert_output_contains "/etc/resolv.conf:0"
  hp=$(net free-port tcp)
  run_skiff_split run -d --name iso --network none -p "$hp:8080" busybox sleep 100
  [[ $stderr == *"Published ports are discarded when using none network mode"* ]]
  run_skiff port iso
  assert_equal "$output" ""
  net bind "$hp" tcp
  run_skiff inspect -f '{{.HostConfig.NetworkMode}} [{{.NetworkSettings.IPAddress}}] {{json .NetworkSettings.Networks}}' iso
  assert_output_contains 'none [] {"none":'
  run_skiff ps --filter network=none --format '{{.Names}}'
  assert_equal "$output" iso
}

@test "--network host sees the host's interfaces and resolver; -p warns that it is discarded" {
  host_ifaces=$(ls /sys/class/net | sort | tr '\n' ' ')
  run_skiff run --rm --network host busybox sh -c 'ls /sys/class/net | sort | tr "\n" " "'
  assert_equal "$output" "$host_ifaces"
  assert_output_not_contains tap0
  run_skiff run --rm --network host busybox grep ^nameserver /etc/resolv.conf
  assert_equal "$output" "$(grep ^nameserver /etc/resolv.conf)"
  hp=$(net free-port tcp)
  run_skiff_split run --rm --network host -p "$hp:8080" busybox true
  [[ $stderr == *"Published ports are discarded when using host network mode"* ]]
}

@test "-p HOST:CTR publishes a TCP port, bound before run -d returns, on every host address; port, ps and inspect show it" {
  address=$(host_address)
  hp=$(net free-port tcp)
  run_skiff run -d --name web -e TEXT=hello-web -p "$hp:8080" busybox sh -c "$WEB"
  # Bound by the time run -d returned.
  run net bind "$hp" tcp
  [ "$status" -ne 0 ]
  assert_output_contains "in use"
  run net http-get 127.0.0.1 "$hp" /i
  assert_equal "$output" hello-web
  run net http-get "$address" "$hp" /i
  assert_equal "$output" hello-web
  if net bind 0 tcp ::1 >/dev/null 2>&1; then
    run net http-get ::1 "$hp" /i
    assert_equal "$output" hello-web
  fi
  run_skiff port web
  assert_output_contains "8080/tcp -> 0.0.0.0:$hp"
  run_skiff port web 8080
  assert_equal "${lines[0]}" "0.0.0.0:$hp"
  run_skiff port web 8080/tcp
  assert_equal "${lines[0]}" "0.0.0.0:$hp"
  run_skiff 125 port web 8080/udp
  assert_skiff_error
  run_skiff ps --format '{{.Ports}}'
  assert_output_contains "0.0.0.0:$hp->8080/tcp"
  run_skiff ps
  assert_output_contains "0.0.0.0:$hp->8080/tcp"
  run_skiff inspect -f '{{json .NetworkSettings.Ports}}' web
  assert_output_contains "\"8080/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"$hp\"}"
  run_skiff inspect -f '{{json .HostConfig.PortBindings}} {{json .Config.ExposedPorts}}' web
  assert_equal "$output" "{\"8080/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"$hp\"}]} {\"8080/tcp\":{}}"
}

@test "a published port carries 4 MiB each way, with the ends of stream passed on" {
  head -c 4194304 /dev/urandom >"$SKIFF_TEST_DIR/big"
  sum=$(sha256sum <"$SKIFF_TEST_DIR/big" | cut -d' ' -f1)
  down=$(net free-port tcp)
  up=$(net free-port tcp)
  run_skiff run -d --name bulk -v "$SKIFF_TEST_DIR/big:/www/big:ro" -p "$down:8080" -p "$up:9090" busybox \
    sh -c 'httpd -p 8080 -h /www; exec nc -l -p 9090 -e sha256sum'
  got=$(net http-get 127.0.0.1 "$down" /big | sha256sum | cut -d' ' -f1)
  assert_equal "$got" "$sum"
  # The upload ends with a half close: sha256sum sees the end of its input
  # and its answer still comes back.
  got=$(python3 - "$up" "$SKIFF_TEST_DIR/big" <<'PY'
import socket, sys, time
data = open(sys.argv[2], "rb").read()
deadline = time.monotonic() + 10
while True:
    try:
        c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
        c.sendall(data)
        c.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := c.recv(65536):
            answer += chunk
        if answer:
            break
    except ConnectionError:
        pass
    if time.monotonic() > deadline:
        sys.exit("no answer")
    time.sleep(0.2)
print(answer.decode().split()[0])
PY
)
  assert_equal "$got" "$sum"
}

@test "a connection to a published port where nothing listens in the container is ended at once" {
  hp=$(net free-port tcp)
  run_skiff run -d --name deaf -p "$hp:8080" busybox sleep 100
  start=$(date +%s%N)
  run net tcp-refused 127.0.0.1 "$hp"
  [ "$status" -eq 0 ]
  [ $((($(date +%s%N) - start) / 1000000)) -lt 3000 ]
  # The monitor goes on serving: the next connection is ended too.
  run net tcp-refused 127.0.0.1 "$hp"
  [ "$status" -eq 0 ]
  run_skiff inspect -f '{{.State.Status}}' deaf
  assert_equal "$output" running
}

@test "-p CTR/udp publishes a UDP port: each client gets its own replies" {
  address=$(host_address)
  python_flags
  hp=$(net free-port udp)
  run_skiff run -d --name udp "${PY_FLAGS[@]}" -p "$hp:5000/udp" busybox \
    "$CTR_PY" /t/net_tool.py udp-echo 0.0.0.0 5000 /tmp/port
  run net udp-ask 127.0.0.1 "$hp" one
  assert_equal "$output" "echo:one"
  run net udp-ask "$address" "$hp" two
  assert_equal "$output" "echo:two"
  # Two clients at once, each answered on its own socket.
  python3 - "$hp" <<'PY'
import socket, sys
port = int(sys.argv[1])
a, b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM), socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for s in (a, b):
    s.settimeout(5)
a.sendto(b"from-a", ("127.0.0.1", port))
b.sendto(b"from-b", ("127.0.0.1", port))
assert a.recv(100) == b"echo:from-a"
assert b.recv(100) == b"echo:from-b"
PY
  run_skiff port udp
  assert_output_contains "5000/udp -> 0.0.0.0:$hp"
  run net bind "$hp" udp
  [ "$status" -ne 0 ]
  run_skiff rm -f udp
  wait_bindable "$hp" udp
}

@test "-p CTR takes a free host port; -P publishes --expose and the image's EXPOSE; --expose alone publishes nothing" {
  run_skiff run -d --name rand -e TEXT=random -p 8080 busybox sh -c "$WEB"
  run_skiff port rand 8080
  hp=${lines[0]##*:}
  [[ ${lines[0]} == 0.0.0.0:* ]]
  [ "$hp" -gt 0 ]
  http_until 127.0.0.1 "$hp" /i random
  run_skiff inspect -f '{{json .HostConfig.PortBindings}}' rand
  assert_equal "$output" '{"8080/tcp":[{"HostIp":"","HostPort":""}]}'

  "$SKIFF" import -c 'EXPOSE 7070 7071/udp' "$(busybox_tar)" exposing >/dev/null
  run_skiff run -d --name all -P --expose 7000 --expose 7100-7101/udp -p 127.0.0.1::9000 exposing sleep 100
  run_skiff port all
  for key in 7000/tcp 7070/tcp 7071/udp 7100/udp 7101/udp; do
    grep -Eq "^$key -> 0\.0\.0\.0:[1-9][0-9]*$" <<<"$output" || {
      echo "no $key on a host port in: $output"
      false
    }
  done
  # -P does not move an explicit binding.
  assert_output_contains "9000/tcp -> 127.0.0.1:"
  assert_output_not_contains "9000/tcp -> 0.0.0.0"
  run_skiff inspect -f '{{.HostConfig.PublishAllPorts}}' all
  assert_equal "$output" true
  run_skiff inspect -f '{{range $key, $value := .Config.ExposedPorts}}{{$key}} {{end}}' all
  assert_equal "$(tr ' ' '\n' <<<"$output" | sort | xargs)" "7000/tcp 7070/tcp 7071/udp 7100/udp 7101/udp 9000/tcp"

  run_skiff run -d --name exposed --expose 7000 exposing sleep 100
  run_skiff port exposed
  assert_equal "$output" ""
  run_skiff ps --filter name=exposed --format '{{.Ports}}'
  assert_equal "$output" "7000/tcp, 7070/tcp, 7071/udp"
}

@test "ranges: -p A-B:C-D maps port to port (ps shows the range); a host range alone takes its first free port" {
  a=$(net free-port tcp)
  b=$((a + 1))
  net bind "$b" tcp >/dev/null || skip "port $b is taken"
  run_skiff run -d --name range -p "$a-$b:80-81" busybox \
    sh -c 'mkdir /w80 /w81; echo eighty > /w80/i; echo eighty-one > /w81/i; httpd -p 80 -h /w80; httpd -p 81 -h /w81; exec sleep 100'
  run_skiff port range
  assert_output_contains "80/tcp -> 0.0.0.0:$a"
  assert_output_contains "81/tcp -> 0.0.0.0:$b"
  http_until 127.0.0.1 "$a" /i eighty
  http_until 127.0.0.1 "$b" /i eighty-one
  # ps shows the range as docker does: one entry per address.
  run_skiff ps --filter name=range --format '{{.Ports}}'
  assert_output_contains "0.0.0.0:$a-$b->80-81/tcp"
  run_skiff rm -f range

  # The first port of the host range is taken: the next one serves.
  start_peer holder tcp-serve 0.0.0.0 "$SKIFF_TEST_DIR/holder.port" held
  first=$PEER_PORT
  net bind $((first + 1)) tcp >/dev/null || skip "port $((first + 1)) is taken"
  run_skiff run -d --name hrange -e TEXT=next -p "$first-$((first + 1)):8080" busybox sh -c "$WEB"
  run_skiff port hrange 8080
  assert_equal "${lines[0]}" "0.0.0.0:$((first + 1))"
  http_until 127.0.0.1 $((first + 1)) /i next
  # A host range every port of which is taken is an error.
  run_skiff 125 run -d --name full -p "$first-$first:8080" busybox sleep 100
  assert_skiff_error "already in use"
}

@test "a range of 600 host ports publishes though the soft limit on descriptors is 1024" {
  hard=$(ulimit -Hn)
  [ "$hard" = unlimited ] || [ "$hard" -ge 4096 ] || skip "the hard limit on descriptors is $hard"
  base=$(net free-range 600)
  last=$((base + 599))
  # 1200 listening sockets (IPv4 and IPv6): more than 1024, well under the
  # hard limit, which a process may raise its soft limit to.
  run timeout "$SKIFF_TEST_TIMEOUT" bash -c 'ulimit -Sn 1024 && exec "$@"' limited "$SKIFF" run -d --name wide \
    -p "$base-$last:$base-$last" busybox sh -c "mkdir /www; echo wide > /www/i; exec httpd -f -p $last -h /www"
  if [ "$status" -ne 0 ]; then
    echo "run -d -p $base-$last:$base-$last: exit code $status: $output"
    false
  fi
  run_skiff port wide "$last"
  assert_equal "${lines[0]}" "0.0.0.0:$last"
  http_until 127.0.0.1 "$last" /i wide
}

@test "-p 127.0.0.1::CTR listens on loopback only" {
  address=$(host_address)
  run_skiff run -d --name lo -e TEXT=loopback-only -p 127.0.0.1::8080 busybox sh -c "$WEB"
  run_skiff port lo 8080
  [[ $output =~ ^127\.0\.0\.1:[0-9]+$ ]]
  hp=${output##*:}
  http_until 127.0.0.1 "$hp" /i loopback-only
  # Nothing listens on the host's other addresses.
  run net bind "$hp" tcp "$address"
  assert_equal "$output" bound
  run net tcp-get "$address" "$hp" 1
  [ "$status" -ne 0 ]
  run_skiff ps --format '{{.Ports}}'
  assert_equal "$output" "127.0.0.1:$hp->8080/tcp"
}

@test "-p [::1]::CTR listens on IPv6 loopback" {
  net bind 0 tcp ::1 >/dev/null 2>&1 || skip "this host has no IPv6 loopback"
  run_skiff run -d --name six -e TEXT=six -p '[::1]::8080' busybox sh -c "$WEB"
  run_skiff port six 8080
  [[ $output =~ ^\[::1\]:[0-9]+$ ]]
  hp=${output##*:}
  http_until ::1 "$hp" /i six
}

@test "published ports are released when the container stops or is removed, and bound again when it starts" {
  hp=$(net free-port tcp)
  run_skiff run -d --name rel -e TEXT=released -p "$hp:8080" busybox sh -c "$WEB"
  http_until 127.0.0.1 "$hp" /i released
  run_skiff stop -t 0 rel
  wait_bindable "$hp" tcp
  run_skiff port rel
  assert_equal "$output" ""
  run_skiff ps -a --format '[{{.Ports}}]'
  assert_equal "$output" "[]"
  run_skiff inspect -f '{{json .NetworkSettings.Ports}}' rel
  assert_equal "$output" "{}"
  run_skiff start rel
  http_until 127.0.0.1 "$hp" /i released
  run_skiff rm -f rel
  wait_bindable "$hp" tcp
  # kill, too.
  run_skiff run -d --name rel2 -p "$hp:8080" busybox sleep 100
  run_skiff kill rel2
  wait_bindable "$hp" tcp
}

@test "skiff restart and --restart on-failure keep publishing the port" {
  hp=$(net free-port tcp)
  run_skiff run -d --name again -p "$hp:8080" busybox sh -c "$COUNTING_WEB"
  http_until 127.0.0.1 "$hp" /i 1
  run_skiff restart -t 0 again
  http_until 127.0.0.1 "$hp" /i 2
  run_skiff port again 8080
  assert_equal "${lines[0]}" "0.0.0.0:$hp"

  hp=$(net free-port tcp)
  run_skiff run -d --name phoenix --restart on-failure:3 -p "$hp:8080" busybox sh -c \
    'mkdir -p /www; echo x >> /www/n; wc -l < /www/n > /www/i; httpd -p 8080 -h /www; [ "$(cat /www/i)" -ge 2 ] && exec sleep 100; sleep 1; exit 1'
  http_until 127.0.0.1 "$hp" /i 1
  http_until 127.0.0.1 "$hp" /i 2
  run_skiff inspect -f '{{.RestartCount}} {{.State.Status}}' phoenix
  assert_equal "$output" "1 running"
}

@test "the helper in the container's network namespace ends with the container: nothing left after stop and rm -f" {
  hp=$(net free-port tcp)
  run_skiff run -d --name helped -e TEXT=helped -p "$hp:8080" busybox sh -c "$WEB"
  id=$("$SKIFF" inspect -f '{{.Id}}' helped)
  http_until 127.0.0.1 "$hp" /i helped
  # The monitor and the helper it forked for the connection.
  [ "$(live_processes "$id" | wc -w)" -eq 2 ]
  run_skiff stop -t 0 helped
  wait_no_processes "$id"
  run_skiff start helped
  http_until 127.0.0.1 "$hp" /i helped
  [ "$(live_processes "$id" | wc -w)" -eq 2 ]
  run_skiff rm -f helped
  wait_no_processes "$id"
  wait_bindable "$hp" tcp
}

@test "exec into a running container sees tap0 and reaches the host" {
  address=$(host_address)
  run_skiff run -d --name ex busybox sleep 100
  run_skiff exec ex ip -o -4 addr show tap0
  assert_output_contains "10.0.2.100/24"
  start_peer srv tcp-serve 0.0.0.0 "$SKIFF_TEST_DIR/srv.port" hello-exec
  run_skiff exec ex nc "$address" "$PEER_PORT"
  assert_equal "$output" hello-exec
}

@test "a foreground run publishes its ports too, and releases them when it ends" {
  hp=$(net free-port tcp)
  "$SKIFF" run --rm --name fg -p "$hp:8080" busybox \
    sh -c 'mkdir /www; echo foreground > /www/i; httpd -p 8080 -h /www; sleep 3' >"$SKIFF_TEST_DIR/fg.log" 2>&1 3>&- &
  fg=$!
  http_until 127.0.0.1 "$hp" /i foreground
  run_skiff port fg 8080
  assert_equal "${lines[0]}" "0.0.0.0:$hp"
  run_skiff ps --format '{{.Names}} {{.Ports}}'
  assert_output_contains "fg 0.0.0.0:$hp->8080/tcp"
  wait "$fg"
  wait_bindable "$hp" tcp
}

@test "a privileged host port fails with net.ipv4.ip_unprivileged_port_start, exit 125, nothing left running" {
  start=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
  [ "$start" -gt 1 ] || skip "every port is unprivileged here (ip_unprivileged_port_start = $start)"
  port=$((start - 1))
  run_skiff 125 run -d --name low -p "$port:8080" busybox sleep 100
  assert_skiff_error "net.ipv4.ip_unprivileged_port_start"
  assert_output_contains "publish port 8080/tcp"
  run_skiff inspect -f '{{.State.Running}}' low
  assert_equal "$output" false
  id=$("$SKIFF" inspect -f '{{.Id}}' low)
  wait_no_processes "$id"
  run_skiff 125 run --rm -p "$port:8080/udp" busybox true
  assert_skiff_error "net.ipv4.ip_unprivileged_port_start"
  [ "$("$SKIFF" ps -aq | wc -l)" -eq 1 ]
}

@test "a host port in use fails with \"already in use\", exit 125, nothing left running" {
  start_peer holder tcp-serve 0.0.0.0 "$SKIFF_TEST_DIR/holder.port" held
  hp=$PEER_PORT
  run_skiff 125 run -d --name busy -p "$hp:8080" busybox sleep 100
  assert_skiff_error "already in use"
  assert_output_contains "0.0.0.0:$hp"
  run_skiff inspect -f '{{.State.Running}}' busy
  assert_equal "$output" false
  wait_no_processes "$("$SKIFF" inspect -f '{{.Id}}' busy)"
  # Between two containers: the second start fails, the first serves on.
  hp=$(net free-port tcp)
  run_skiff create --name first -e TEXT=first -p "$hp:8080" busybox sh -c "$WEB"
  run_skiff create --name second -p "$hp:8080" busybox sleep 100
  run_skiff start first
  run_skiff 125 start second
  assert_skiff_error "already in use"
  run_skiff inspect -f '{{.State.Running}}' second
  assert_equal "$output" false
  http_until 127.0.0.1 "$hp" /i first
  # The same host port twice in one container.
  hp=$(net free-port tcp)
  run_skiff 125 run -d --name twice -p "$hp:8080" -p "$hp:8081" busybox sleep 100
  assert_skiff_error "already in use"
  wait_bindable "$hp" tcp
}

@test "runs racing for one host port: exactly one wins" {
  hp=$(net free-port tcp)
  for i in 1 2 3 4; do
    "$SKIFF" run -d --name "race$i" -p "$hp:8080" busybox sleep 100 >/dev/null 2>&1 3>&- &
  done
  wait
  run_skiff ps --filter status=running --format '{{.Names}}'
  [ "${#lines[@]}" -eq 1 ]
  [ "$("$SKIFF" ps -aq | wc -l)" -eq 4 ]
  [ "$(pgrep -u "$(id -u)" -fc "__monitor $SKIFF_ROOT ")" -eq 1 ]
}

@test "bad -p and --expose values exit 125 with a clear message and create nothing" {
  bad=(
    "abc|invalid port \`abc\`"
    "70000|invalid port \`70000\`"
    "0|invalid port \`0\`"
    "1-2:3-5|ranges must be as long"
    "5-3|it ends before it starts"
    "80/sctp|not sctp"
    "80/tcpx|use tcp or udp"
    "1.2.3:80:80|\`1.2.3\` is not an IP address"
    "[::1:80:80|in brackets"
    "8080:|invalid port"
  )
  for item in "${bad[@]}"; do
    spec=${item%%|*}
    run_skiff 125 run -d -p "$spec" busybox true
    assert_skiff_error "${item#*|}"
    run_skiff 125 create -p "$spec" busybox true
    assert_skiff_error "${item#*|}"
  done
  run_skiff 125 create --expose abc busybox true
  assert_skiff_error "invalid port"
  run_skiff 125 create --expose 80/sctp busybox true
  assert_skiff_error "not sctp"
  [ -z "$("$SKIFF" ps -aq)" ]
  [ -z "$(ls "$SKIFF_ROOT/containers" 2>/dev/null)" ]
}
