#!/usr/bin/env python3
"""tcp_relay.py LISTEN_ADDRESS TARGET_HOST:PORT PORT_FILE [CUT_AFTER]

Listens on LISTEN_ADDRESS at a random port (written to PORT_FILE) and relays
each connection to TARGET: a loopback-only server reached by another of the
host's addresses, so that a client sees a registry that is not on loopback.
With CUT_AFTER, the first connection whose client sends more than that many
bytes is cut there (once): an upload that breaks.
"""
import os, socket, sys, threading

listen, target, port_file = sys.argv[1], sys.argv[2], sys.argv[3]
cut_after = int(sys.argv[4]) if len(sys.argv) > 4 else None
cut_done = threading.Event()
host, port = target.rsplit(":", 1)
server = socket.socket(socket.AF_INET6 if ":" in listen else socket.AF_INET)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((listen, 0))
server.listen(16)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.getsockname()[1]))
os.rename(port_file + ".tmp", port_file)


def pipe(src, dst, upload=False):
    sent = 0
    try:
        while data := src.recv(65536):
            sent += len(data)
            if upload and cut_after is not None and sent > cut_after and not cut_done.is_set():
                cut_done.set()
                dst.sendall(data[: max(0, len(data) - (sent - cut_after))])
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


while True:
    client, _ = server.accept()
    upstream = socket.create_connection((host, int(port)))
    threading.Thread(target=pipe, args=(client, upstream, True), daemon=True).start()
    threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
