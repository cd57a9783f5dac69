#!/usr/bin/env python3
"""A listener that never answers a WebSocket upgrade, for bench/connect_storm.sh.

  accept   accepts every TCP connection (epoll, one thread) and holds it
           open without reading or answering: the client waits for its
           upgrade reply until its own connect timeout
  backlog  listens with a backlog of 1 and never accepts: past the first
           connection the kernel drops the SYNs, so clients stay SYN-SENT

Listens on 127.0.0.1 (port 0: the kernel picks one, printed on stdout).
Stops by itself after --seconds (default 120).
"""
import argparse
import resource
import selectors
import socket
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["accept", "backlog"])
    ap.add_argument("--seconds", type=float, default=120.0)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1 if args.mode == "backlog" else 4096)
    srv.setblocking(False)
    print("listening on 127.0.0.1:%d" % srv.getsockname()[1], flush=True)
    held = []
    sel = selectors.DefaultSelector()
    if args.mode == "accept":
        sel.register(srv, selectors.EVENT_READ)
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        if not sel.select(timeout=0.2):
            continue
        while True:
            try:
                conn, _ = srv.accept()
            except (BlockingIOError, OSError):
                break
            held.append(conn)  # never read, never answered
    for c in held:
        c.close()
    srv.close()


if __name__ == "__main__":
    main()
