#!/usr/bin/env python3
"""A deliberately misbehaving WebSocket peer for wsgate's robustness tests.

Listens on 127.0.0.1 (port 0: the kernel picks one, printed on stdout) and
treats every connection according to MODE (each accepted connection is
logged as "accepted" on stderr):
  close      accept, then close at once
  http200    answer the upgrade with a plain HTTP 200 page
  silent     accept and never answer (the client's connect timeout fires)
  badframe   complete the upgrade, then send a frame with a reserved opcode
  huge       complete the upgrade, then send a 2 MiB text message in 64 KiB
             fragments (the client must drop it, not buffer it)
  deaf       complete the upgrade, then read and ignore everything (no pongs,
             no answer to a close frame: "close CODE" is logged on stderr)
  echo       complete the upgrade, then answer each text message with
             "pong " and the message, and log "text N HEX" (its byte count
             and bytes) on stderr; a close frame is answered and logged
             as "close CODE"
  deflate    complete the upgrade answering permessage-deflate whatever the
             client offered (RFC 6455 9.1: a client that did not offer it
             must fail the connection)
  closer     complete the upgrade, then close first (code 4003): the
             client's answer is logged as "answer CODE", and "eof" once
             the client closed the TCP connection (within 3 s)
Stops by itself after --seconds (default 20).
"""
import argparse
import base64
import hashlib
import socket
import sys
import threading
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
    return data


def accept_key(request):
    for line in request.split(b"\r\n"):
        if line.lower().startswith(b"sec-websocket-key:"):
            key = line.split(b":", 1)[1].strip()
            return base64.b64encode(hashlib.sha1(key + GUID).digest())
    return b""


def upgrade(conn, extra=b""):
    req = read_request(conn)
    if req is None:
        return False
    conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                 b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept_key(req) + b"\r\n" +
                 extra + b"\r\n")
    return True


def frame(opcode, payload, fin=True):
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([n])
    elif n < 65536:
        head += bytes([126]) + n.to_bytes(2, "big")
    else:
        head += bytes([127]) + n.to_bytes(8, "big")
    return head + payload


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise OSError("closed")
        data += chunk
    return data


def read_frame(conn):
    """One client frame (masked, unfragmented): (opcode, payload)."""
    b0, b1 = read_exact(conn, 2)
    n = b1 & 0x7F
    if n == 126:
        n = int.from_bytes(read_exact(conn, 2), "big")
    elif n == 127:
        n = int.from_bytes(read_exact(conn, 8), "big")
    mask = read_exact(conn, 4) if b1 & 0x80 else b"\0\0\0\0"
    data = read_exact(conn, n)
    return b0 & 0x0F, bytes(c ^ mask[i % 4] for i, c in enumerate(data))


LOG = threading.Lock()


def log_close(data):
    """One whole line per close frame, whatever the other threads print."""
    code = int.from_bytes(data[:2], "big") if len(data) >= 2 else 0
    with LOG:
        sys.stderr.write("close %d\n" % code)
        sys.stderr.flush()


def deaf(conn):
    conn.settimeout(5)
    while True:
        opcode, data = read_frame(conn)
        if opcode == 0x8:
            log_close(data)


def echo(conn):
    conn.settimeout(10)
    while True:
        opcode, data = read_frame(conn)
        if opcode == 0x8:
            log_close(data)
            conn.sendall(frame(0x8, data[:2]))
            return
        if opcode == 0x9:
            conn.sendall(frame(0xA, data))
        elif opcode == 0x1:
            print("text %d %s" % (len(data), data.hex()), file=sys.stderr, flush=True)
            conn.sendall(frame(0x1, b"pong " + data))


def closer(conn):
    conn.settimeout(3)
    conn.sendall(frame(0x8, (4003).to_bytes(2, "big") + b"bye"))
    while True:
        opcode, data = read_frame(conn)
        if opcode == 0x8:
            code = int.from_bytes(data[:2], "big") if len(data) >= 2 else 0
            with LOG:
                sys.stderr.write("answer %d\n" % code)
                sys.stderr.flush()
            break
    if conn.recv(1) == b"":
        with LOG:
            sys.stderr.write("eof\n")
            sys.stderr.flush()


def handle(conn, mode):
    try:
        if mode == "close":
            return
        if mode == "silent":
            time.sleep(5)
            return
        if mode == "http200":
            read_request(conn)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
            time.sleep(0.5)
            return
        extra = b"Sec-WebSocket-Extensions: permessage-deflate\r\n" if mode == "deflate" else b""
        if not upgrade(conn, extra):
            return
        if mode == "badframe":
            conn.sendall(bytes([0x83, 0x02]) + b"??")  # opcode 3 is reserved
        elif mode == "deaf":
            deaf(conn)
        elif mode == "echo":
            echo(conn)
        elif mode == "closer":
            closer(conn)
        elif mode == "huge":
            piece = b"x" * 65536
            for i in range(32):
                opcode = 0x1 if i == 0 else 0x0
                conn.sendall(frame(opcode, piece, fin=(i == 31)))
            conn.sendall(frame(0x1, b'{"type":"after"}'))
        time.sleep(1)
    except OSError:
        pass
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["close", "http200", "silent", "badframe", "huge", "deaf", "echo",
                                     "deflate", "closer"])
    ap.add_argument("--seconds", type=float, default=20.0)
    args = ap.parse_args()
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(128)
    srv.settimeout(0.2)
    print("listening on 127.0.0.1:%d" % srv.getsockname()[1], flush=True)
    deadline = time.time() + args.seconds
    while time.time() < deadline:
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            continue
        with LOG:  # whole lines beside the connection threads' (it_server_close.sh)
            print("accepted", file=sys.stderr, flush=True)  # counted by it_connect_abandoned.sh
        threading.Thread(target=handle, args=(conn, args.mode), daemon=True).start()
    srv.close()


if __name__ == "__main__":
    main()
