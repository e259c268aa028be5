#!/usr/bin/env python3
"""net_tool.py COMMAND ARGS...: small network peers for 060-network.bats,
run on the host or (through the host's /usr mounted read-only) in a
container. Every wait is bounded; a failure exits non-zero with a reason.

  free-port tcp|udp [ADDRESS]        a port free on ADDRESS (default 0.0.0.0)
  free-range COUNT                   the first of COUNT consecutive ports free
                                     for TCP on 0.0.0.0 and ::
  bind PORT tcp|udp [ADDRESS]        binds (a TCP port with SO_REUSEADDR, as
                                     servers do: a closed connection's
                                     TIME_WAIT does not count) and releases
                                     it: "bound" or the error
  tcp-serve ADDRESS PORT_FILE TEXT [N]
                                     answers N (1) connections with TEXT, then
                                     exits; prints each client's address
  udp-echo ADDRESS PORT PORT_FILE    answers each datagram with "echo:" + it
  tcp-get HOST PORT [SECONDS]        what the server sends, retried until it
                                     answers or SECONDS (10) pass
  http-get HOST PORT PATH [SECONDS]  an HTTP GET's body, retried the same way
  udp-ask HOST PORT TEXT [SECONDS]   sends TEXT until a reply comes, prints it
  udp-once HOST PORT TEXT SECONDS    sends TEXT once, prints the reply that
                                     comes within SECONDS
  tcp-refused HOST PORT              connects, sends a line: "reset" or
                                     "closed" when the server ends it without
                                     a byte within 5 s
  dns NAME SERVER [TRIES [SECONDS]]  an A query, sent up to TRIES (3) times,
                                     SECONDS (1) apart: "rcode=R answers=N"
                                     or "no answer"
  dns-junk SERVER                    malformed DNS queries at SERVER:53, then
                                     a good one for "target": "answered"
"""
import os, random, socket, struct, sys, time


def family(address):
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def kind(protocol):
    return socket.SOCK_DGRAM if protocol == "udp" else socket.SOCK_STREAM


def write_port(path, port):
    with open(path + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(path + ".tmp", path)


def free_port(protocol, address="0.0.0.0"):
    s = socket.socket(family(address), kind(protocol))
    s.bind((address, 0))
    print(s.getsockname()[1])


def port_free(port):
    for address in ("0.0.0.0", "::"):
        with socket.socket(family(address)) as s:
            if address == "::":
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                s.bind((address, port))
            except OSError:
                return False
    return True


def free_range(count):
    count = int(count)
    for _ in range(200):
        base = random.randrange(20000, 60000 - count)
        if all(port_free(port) for port in range(base, base + count)):
            print(base)
            return
    sys.exit(f"no {count} consecutive free ports")


def try_bind(port, protocol, address="0.0.0.0"):
    s = socket.socket(family(address), kind(protocol))
    if protocol == "tcp":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((address, int(port)))
        if protocol == "tcp":
            s.listen(1)
        print("bound")
    except OSError as e:
        print(f"error: {e.strerror}")
        sys.exit(1)


def tcp_serve(address, port_file, text, count="1"):
    s = socket.socket(family(address))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((address, 0))
    s.listen(16)
    s.settimeout(30)
    write_port(port_file, s.getsockname()[1])
    for _ in range(int(count)):
        c, peer = s.accept()
        print(peer[0], flush=True)
        c.sendall(text.encode() + b"\n")
        c.close()


def udp_echo(address, port, port_file):
    s = socket.socket(family(address), socket.SOCK_DGRAM)
    s.bind((address, int(port)))
    write_port(port_file, s.getsockname()[1])
    s.settimeout(60)
    while True:
        data, peer = s.recvfrom(65536)
        print(peer[0], flush=True)
        s.sendto(b"echo:" + data, peer)


def retry(seconds, attempt):
    deadline = time.monotonic() + float(seconds)
    why = "no attempt"
    while time.monotonic() < deadline:
        try:
            result = attempt()
            if result:
                return result
            why = "empty answer"
        except OSError as e:
            why = str(e)
        time.sleep(0.1)
    print(f"no answer in {seconds} s: {why}", file=sys.stderr)
    sys.exit(1)


def tcp_get(host, port, seconds="10"):
    def attempt():
        with socket.create_connection((host, int(port)), timeout=3) as c:
            data = b""
            while chunk := c.recv(65536):
                data += chunk
            return data

    sys.stdout.buffer.write(retry(seconds, attempt))


def http_get(host, port, path, seconds="10"):
    def attempt():
        with socket.create_connection((host, int(port)), timeout=3) as c:
            c.sendall(f"GET {path} HTTP/1.0\r\nHost: test\r\n\r\n".encode())
            data = b""
            while chunk := c.recv(65536):
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            return body if b" 200 " in head.split(b"\r\n")[0] else None

    sys.stdout.buffer.write(retry(seconds, attempt))


def udp_ask(host, port, text, seconds="10"):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.settimeout(0.3)

    def attempt():
        s.sendto(text.encode(), (host, int(port)))
        try:
            return s.recv(65536)
        except socket.timeout:
            return None

    print(retry(seconds, attempt).decode())


def udp_once(host, port, text, seconds):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.settimeout(float(seconds))
    s.sendto(text.encode(), (host, int(port)))
    try:
        print(s.recv(65536).decode())
    except socket.timeout:
        print(f"no reply in {seconds} s", file=sys.stderr)
        sys.exit(1)


def tcp_refused(host, port):
    try:
        with socket.create_connection((host, int(port)), timeout=5) as c:
            c.sendall(b"hello\n")
            data = c.recv(65536)
    except ConnectionError:
        print("reset")
        return
    except socket.timeout:
        print("no end in 5 s", file=sys.stderr)
        sys.exit(1)
    if data:
        print(f"got data: {data!r}", file=sys.stderr)
        sys.exit(1)
    print("closed")


def dns(name, server, tries="3", seconds="1"):
    ident = random.randrange(65536)
    query = struct.pack(">HHHHHH", ident, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        query += bytes([len(label)]) + label.encode()
    query += b"\0" + struct.pack(">HH", 1, 1)
    s = socket.socket(family(server), socket.SOCK_DGRAM)
    s.settimeout(float(seconds))
    for _ in range(int(tries)):
        s.sendto(query, (server, 53))
        try:
            while True:
                reply = s.recv(4096)
                if len(reply) >= 12 and struct.unpack(">H", reply[:2])[0] == ident:
                    print(f"rcode={reply[3] & 15} answers={struct.unpack('>H', reply[6:8])[0]}")
                    return
        except OSError:
            pass
    print("no answer")


def dns_junk(server):
    """Malformed and odd DNS queries at SERVER:53, not waiting for answers."""
    header = lambda flags, qd, an=0: struct.pack(">HHHHHH", 0x1234, flags, qd, an, 0, 0)
    question = lambda name: b"".join(bytes([len(l)]) + l for l in name.split(b".")) + b"\0" + struct.pack(">HH", 1, 1)
    payloads = [
        b"", b"\0", header(0, 1)[:11],                        # cut short
        header(0, 1),                                         # a question promised, none there
        header(0x8000, 1) + question(b"target"),              # a response, not a query
        header(0, 2) + question(b"target") + question(b"x"),  # two questions
        header(0, 1) + b"\xc0\x0c" + struct.pack(">HH", 1, 1),  # a compression pointer to itself
        header(0, 1) + b"\x3ftarget",                         # a label running off the end
        header(0, 1) + b"\x40" + b"a" * 64 + b"\0\0\1\0\1",     # a label of 64
        header(0, 1) + question(b".".join([b"a" * 63] * 5)),  # a name of 319 bytes
        header(0, 1) + question(b"target")[:-2],              # no class
        header(0x7800, 1) + question(b"target"),              # opcode 15
        os.urandom(512), os.urandom(12) + os.urandom(500),
    ]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for p in payloads * 3:
            s.sendto(p, (server, 53))
        # And a good one at the end: it is answered.
        s.settimeout(5)
        s.sendto(header(0x0100, 1) + question(b"target"), (server, 53))
        reply, _ = s.recvfrom(4096)
        print("answered" if reply[:2] == b"\x12\x34" and reply[7] == 1 else "bad answer")


commands = {"dns-junk": dns_junk, "free-port": free_port, "free-range": free_range, "bind": try_bind, "tcp-serve": tcp_serve, "udp-echo": udp_echo,
            "tcp-get": tcp_get, "http-get": http_get, "udp-ask": udp_ask, "udp-once": udp_once, "tcp-refused": tcp_refused, "dns": dns}
commands[sys.argv[1]](*sys.argv[2:])
