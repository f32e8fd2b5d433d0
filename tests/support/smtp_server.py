"""A real SMTP server for the digest tests (aiosmtpd), on loopback.

Usage: smtp_server.py MAILDIR [--refuse N] [--max-size BYTES]
Prints "ready PORT" once listening. Each accepted message is written to
MAILDIR as NNN.eml. With --refuse N, the first N messages are refused with
a temporary error (451) at DATA, as a busy or greylisting server would.
With --max-size, a larger message is refused for good (552), and each
DATA seen is counted in MAILDIR/data-count.
"""
import argparse
import asyncio
import os
import socket
import sys

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, maildir, refuse, max_size):
        self.maildir = maildir
        self.refuse = refuse
        self.max_size = max_size
        self.seen = 0

    async def handle_DATA(self, server, session, envelope):
        self.seen += 1
        with open(os.path.join(self.maildir, "data-count"), "w") as f:
            f.write(str(self.seen))
        if self.max_size and len(envelope.original_content) > self.max_size:
            return "552 5.3.4 Message size exceeds fixed limit (test limit %d)" % self.max_size
        if self.seen <= self.refuse:
            return "451 4.3.0 Try again later (test refusal %d)" % self.seen
        n = len([f for f in os.listdir(self.maildir) if f.endswith(".eml")])
        path = os.path.join(self.maildir, "%03d.eml" % (n + 1))
        with open(path + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(path + ".tmp", path)
        return "250 2.0.0 OK queued as %03d" % (n + 1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("maildir")
    p.add_argument("--refuse", type=int, default=0)
    p.add_argument("--max-size", type=int, default=0)
    a = p.parse_args()
    os.makedirs(a.maildir, exist_ok=True)
    # aiosmtpd's readiness check connects to the configured port, so port 0
    # cannot be passed through: take a free one from the kernel first.
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    c = Controller(Handler(a.maildir, a.refuse, a.max_size), hostname="127.0.0.1", port=port)
    c.start()
    print("ready %d" % port, flush=True)
    try:
        sys.stdin.read()  # until the test closes our stdin or kills us
    finally:
        c.stop()


if __name__ == "__main__":
    main()
