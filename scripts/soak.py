#!/usr/bin/env python3
"""A bounded soak of `trustcoach serve` on 127.0.0.1: mixed traffic from
several client threads for N minutes, RSS, threads and open files sampled
every few seconds, every unexpected answer counted. Exits non-zero when a
request failed unexpectedly, the server died, or RSS grew more than
--max-growth percent over the second half of the run. See scripts/soak.sh.
"""

import argparse
import http.client
import json
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tools"))
import server_process  # noqa: E402
from server_process import bearer  # noqa: E402


class Server(server_process.Server):
    """The server as the soak runs it: no access log (thousands of lines a
    minute), generous deadlines on a loaded machine."""

    start_timeout = 30
    request_timeout = 15

    def __init__(self, binary, *args):
        super().__init__(binary, "--access-log", "off", *args)

TEXTS = ["my husband cheated on me", "I found messages on her phone", "yes", "no", "ok",
         "I feel so hurt and angry", "how do I rebuild trust", "he keeps lying to me",
         "I broke her trust", "can we talk about therapy", "help", "menu", "go back",
         "I want to end it all", "tell me about jealousy", "asdfgh qwerty", "",
         "\u00e9motions \u2014 \u201cquoted\u201d \U0001F622", "x" * 3000]


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.errors = {}

    def count(self, kind):
        with self.lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1

    def error(self, kind):
        with self.lock:
            self.errors[kind] = self.errors.get(kind, 0) + 1


def client(server, stats, stop, rng):
    def expect(kind, response, statuses):
        status = response[0]
        if status in statuses:
            stats.count(kind)
        else:
            stats.error("%s -> %s" % (kind, status))
        return response

    conversation = None
    while not stop.is_set():
        try:
            roll = rng.random()
            if conversation is None or roll < 0.03:
                _, _, conversation = expect("create", server.request(
                    "POST", "/v1/conversations", {"region": rng.choice(["en-GB", "US", "de"])}),
                    (201,))
            elif roll < 0.75:
                expect("message", server.say(conversation, rng.choice(TEXTS)), (200,))
            elif roll < 0.85:
                expect("transcript", server.get(conversation), (200,))
            elif roll < 0.88:
                expect("delete", server.request(
                    "DELETE", "/v1/conversations/" + conversation["id"],
                    headers=bearer(conversation)), (204,))
                conversation = None
            elif roll < 0.92:
                expect("bad request", server.request(
                    "POST", "/v1/conversations/%s/messages" % conversation["id"],
                    headers=dict(bearer(conversation), **{"Content-Type": "application/json"}),
                    raw=rng.choice([b"{", b'{"text": 5}', b"[" * 100])), (400,))
            elif roll < 0.95:
                expect("wrong token", server.request(
                    "GET", "/v1/conversations/" + conversation["id"],
                    headers={"Authorization": "Bearer nope"}), (404,))
            elif roll < 0.98:
                expect("health", server.request("GET", rng.choice(["/healthz", "/readyz"])), (200,))
            else:
                expect("metrics", server.request("GET", "/metrics"), (200,))
        except (OSError, http.client.HTTPException, ValueError) as e:
            stats.error(type(e).__name__)
            time.sleep(0.1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--sample-seconds", type=float, default=15)
    parser.add_argument("--store", default="", help="memory, or empty for SQLite")
    parser.add_argument("--max-growth", type=float, default=10,
                        help="percent of RSS growth allowed over the second half")
    parser.add_argument("--json", help="also write the samples and counts here")
    args = parser.parse_args()

    extra = ["--store", args.store] if args.store else []
    server = Server(os.path.abspath(args.binary), "--client-rate", "0", "--conversation-rate",
                    "0", "--idle-expiry", "120", "--sweep-interval", "20", *extra).start()
    stats = Stats()
    stop = threading.Event()
    rng = random.Random(1)
    threads = [threading.Thread(target=client, args=(server, stats, stop, random.Random(rng.random())))
               for _ in range(args.clients)]
    samples = []
    start = time.time()
    end = start + args.minutes * 60
    print("soak: %s clients for %.1f min against port %d (store %s)" % (
        args.clients, args.minutes, server.port, args.store or "sqlite"), flush=True)
    print("%8s %10s %8s %6s %10s %7s" % ("elapsed", "rss_kb", "threads", "fds", "requests",
                                         "errors"), flush=True)
    for thread in threads:
        thread.start()
    died = False
    try:
        while True:
            now = time.time()
            if not server.alive():
                died = True
                break
            with stats.lock:
                requests = sum(stats.counts.values())
                errors = sum(stats.errors.values())
            sample = {"seconds": round(now - start), "rss_kb": server.rss_kb(),
                      "threads": server.threads(), "fds": server.open_fds(),
                      "requests": requests, "errors": errors}
            samples.append(sample)
            print("%7ds %10d %8d %6d %10d %7d" % tuple(sample.values()), flush=True)
            if now >= end:
                break
            time.sleep(min(args.sample_seconds, max(0.1, end - now)))
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        code = server.stop() if server.alive() else "died"
        server.cleanup()

    half = [s["rss_kb"] for s in samples if s["seconds"] >= args.minutes * 30]
    growth = 100.0 * (half[-1] - half[0]) / half[0] if len(half) >= 2 else 0.0
    seconds = samples[-1]["seconds"] if samples else 0
    total = sum(stats.counts.values())
    print("requests: %d (%.0f/s) %s" % (total, total / max(seconds, 1),
                                      json.dumps(stats.counts, sort_keys=True)))
    print("unexpected: %d %s" % (sum(stats.errors.values()), json.dumps(stats.errors, sort_keys=True)))
    print("rss: start %d kB, peak %d kB, end %d kB; second half %+.1f%%" % (
        samples[0]["rss_kb"], max(s["rss_kb"] for s in samples), samples[-1]["rss_kb"], growth))
    print("server exit on SIGTERM: %s" % code)
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"samples": samples, "counts": stats.counts, "errors": stats.errors,
                       "rss_growth_second_half_percent": growth, "exit": code}, out, indent=1)
    failed = died or stats.errors or growth > args.max_growth or code != 0
    print("soak: " + ("FAILED" if failed else "ok"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
