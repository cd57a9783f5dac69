#!/usr/bin/env python3
"""A listener that never accepts: backlog 1, so past the first connections
the kernel drops the SYNs and clients stay in SYN-SENT until their own
connect timeout. Listens on 127.0.0.1 (port 0: printed on stdout); stops by
itself after --seconds (default 20)."""
import argparse
import socket
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20.0)
    args = ap.parse_args()
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    print("listening on 127.0.0.1:%d" % srv.getsockname()[1], flush=True)
    time.sleep(args.seconds)
    srv.close()


if __name__ == "__main__":
    main()
