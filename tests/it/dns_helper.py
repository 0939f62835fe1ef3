"""Test helper for tests/it/dns.rs, run inside a private network namespace.

A DNS server on 127.0.0.1:53 (UDP) whose answers the test controls, and a
TCP relay from 127.0.0.1:PORT to a MariaDB Unix socket. Every query is logged
as "TYPE NAME" to DIR/queries.log. It exits by itself after 60 s.

    python3 dns_helper.py DIR SOCKET PORT
"""

import os
import socket
import struct
import sys
import threading
import time

DIR, SOCK, PORT = sys.argv[1], sys.argv[2], int(sys.argv[3])
SLOW = "slow.poolcheck.test"
STALL = "stall.poolcheck.test"
DELAY_S = 0.8
LOCK = threading.Lock()


def log(line):
    with LOCK, open(os.path.join(DIR, "queries.log"), "a") as f:
        f.write(line + "\n")


def parse_question(data):
    labels, i = [], 12
    while i < len(data) and data[i] != 0:
        n = data[i]
        labels.append(data[i + 1 : i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    qtype = struct.unpack("!H", data[i + 1 : i + 3])[0]
    return ".".join(labels).lower(), qtype, data[12 : i + 5]


def answer(sock, data, addr):
    name, qtype, question = parse_question(data)
    log("%s %s" % ({1: "A", 28: "AAAA"}.get(qtype, str(qtype)), name))
    if name == STALL:
        return
    (qid,) = struct.unpack("!H", data[:2])
    if name == SLOW:
        time.sleep(DELAY_S)
        records = b""
        count = 0
        if qtype == 1:
            records = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton("127.0.0.1")
            count = 1
        header = struct.pack("!HHHHHH", qid, 0x8180, 1, count, 0, 0)
        sock.sendto(header + question + records, addr)
    else:
        header = struct.pack("!HHHHHH", qid, 0x8183, 1, 0, 0, 0)
        sock.sendto(header + question, addr)


def dns(sock):
    while True:
        data, addr = sock.recvfrom(4096)
        threading.Thread(target=answer, args=(sock, data, addr), daemon=True).start()


def pump(src, dst):
    try:
        while True:
            chunk = src.recv(65536)
            if not chunk:
                break
            dst.sendall(chunk)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def relay(listener):
    while True:
        client, _ = listener.accept()
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        upstream.connect(SOCK)
        threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
        threading.Thread(target=pump, args=(upstream, client), daemon=True).start()


udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("127.0.0.1", 53))
tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
tcp.bind(("127.0.0.1", PORT))
tcp.listen(128)
threading.Thread(target=dns, args=(udp,), daemon=True).start()
threading.Thread(target=relay, args=(tcp,), daemon=True).start()
open(os.path.join(DIR, "ready"), "w").close()
time.sleep(60)
