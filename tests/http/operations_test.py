#!/usr/bin/env python3
"""Operating the real `trustcoach serve`: stopping with a drain (/readyz 503
at once, the API still served for --drain-delay, then exit; --drain-timeout
cuts off a request that would hold the exit), SIGHUP reopening the access
and event log files after logrotate renamed them, and the startup line.
A few seconds in all.

  python3 tests/http/operations_test.py --binary build/bin/trustcoach
"""

import http.client
import json
import os
import signal
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "tools"))
from server_process import HOST, TIME_SCALE, Server, binary_and_argv  # noqa: E402

BINARY = None


def events(path):
    with open(path, encoding="utf-8") as log:
        return [json.loads(line) for line in log if line.startswith("{")]


def wait_for(check, what, timeout=10):
    deadline = time.time() + timeout * TIME_SCALE
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError("timed out waiting for " + what)


class HungRedis:
    """A TCP server speaking just enough RESP: +PONG to PING, then silence
    for every other command (counted in `unanswered`)."""

    def __init__(self):
        self.listener = socket.create_server((HOST, 0))
        self.port = self.listener.getsockname()[1]
        self.unanswered = 0
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection):
        while True:
            try:
                data = connection.recv(65536)
            except OSError:
                return
            if not data:
                return
            if b"PING" in data.upper():
                connection.sendall(b"+PONG\r\n")
            else:
                self.unanswered += 1

    def close(self):
        self.listener.close()
        for connection in self.connections:
            connection.close()


class OperationsTest(unittest.TestCase):
    def serve(self, *args):
        server = Server(BINARY, "--store", "memory", "--access-log", "off", *args).start()
        self.addCleanup(server.cleanup)
        return server

    def test_startup_line_names_version_and_folders(self):
        server = self.serve()
        with os.popen(BINARY + " --version") as out:
            version = out.read().split()[1]
        # Nothing logs JSON to stdout here (--access-log off): on stdout.
        with open(server.stdout_path, encoding="utf-8") as out:
            line = out.readline().rstrip("\n")
        self.assertRegex(line, r"^trustcoach %s: listening on http://127\.0\.0\.1:%d \(store memory, "
                               r"dialogs .+, web .+/server/web\)$" % (version.replace(".", r"\."),
                                                                      server.port))

    def test_stdout_carries_only_json_lines_when_the_access_log_is_there(self):
        server = Server(BINARY, "--store", "memory", "--access-log", "-").start()
        self.addCleanup(server.cleanup)
        self.assertEqual(server.request("GET", "/healthz")[0], 200)
        self.assertEqual(server.stop(), 0)
        with open(server.stdout_path, encoding="utf-8") as out:
            lines = out.read().splitlines()
        self.assertTrue(lines)
        for line in lines:
            self.assertIn("route", json.loads(line), line)
        with open(server.stderr_path, encoding="utf-8") as err:
            self.assertIn("listening on http://", err.read())

    def test_stop_drains_readyz_first_then_exits(self):
        server = self.serve("--drain-delay", "30", "--drain-timeout", "5")
        self.assertEqual(server.request("GET", "/readyz")[0], 200)
        server.process.send_signal(signal.SIGTERM)
        wait_for(lambda: server.request("GET", "/readyz")[0] == 503, "/readyz 503")
        status, _, body = server.request("GET", "/readyz")
        self.assertEqual(body["detail"], "the server is shutting down")
        # Still serving during the delay: a new conversation works.
        self.assertEqual(server.request("POST", "/v1/conversations", {})[0], 201)
        self.assertTrue(server.alive())
        # A second signal ends the delay; the server exits cleanly.
        self.assertEqual(server.stop(signal.SIGINT, timeout=10 * TIME_SCALE), 0)
        lines = events(server.stderr_path)
        stopping = [e for e in lines if e["event"] == "stopping"]
        self.assertEqual(len(stopping), 1, lines)
        self.assertEqual(stopping[0]["signal"], "Terminated")
        self.assertEqual(stopping[0]["drain_delay_seconds"], 30)
        self.assertEqual(lines[-1]["event"], "stopped")

    def test_drain_timeout_cuts_off_a_request_that_never_finishes(self):
        # A "Redis" that answers PING (the check at start) and nothing else:
        # a turn then waits for the store for timeout_ms (60 s).
        redis = HungRedis()
        self.addCleanup(redis.close)
        try:
            server = self.serve("--store", "redis://127.0.0.1:%d?timeout_ms=60000" % redis.port,
                                "--drain-timeout", "1", "--client-rate", "0",
                                "--conversation-rate", "0", "--sweep-interval", "86400")
        except AssertionError as error:
            if "built without Redis" in str(error):
                self.skipTest("this build has no Redis store (TRUSTCOACH_WITH_REDIS=OFF)")
            raise
        def create():
            try:
                server.request("POST", "/v1/conversations", {}, timeout=120)
            except (OSError, http.client.HTTPException):
                pass  # cut off by the exit, as it should be
        stuck = threading.Thread(target=create, daemon=True)
        stuck.start()
        wait_for(lambda: redis.unanswered > 0, "the request to reach the store")
        start = time.time()
        self.assertEqual(server.stop(signal.SIGTERM, timeout=20 * TIME_SCALE), 0)
        self.assertLess(time.time() - start, 10 * TIME_SCALE)
        names = [e["event"] for e in events(server.stderr_path)]
        self.assertIn("drain_timeout", names)
        self.assertNotIn("stopped", names)

    def test_sighup_reopens_log_files_for_logrotate(self):
        folder = Server(BINARY).data  # a scratch folder, removed below
        self.addCleanup(lambda: __import__("shutil").rmtree(folder, ignore_errors=True))
        access = os.path.join(folder, "access.log")
        event = os.path.join(folder, "events.log")
        server = self.serve("--access-log", access, "--event-log", event)
        self.assertEqual(server.request("GET", "/healthz")[0], 200)
        wait_for(lambda: os.path.exists(access) and os.path.getsize(access) > 0, "an access line")
        os.rename(access, access + ".1")
        os.rename(event, event + ".1")
        server.process.send_signal(signal.SIGHUP)
        # The reload's event goes to the new events.log.
        wait_for(lambda: os.path.exists(event) and "dialogs_reloaded" in
                 "".join(str(e) for e in events(event)), "dialogs_reloaded in the new event log")
        self.assertEqual(server.request("GET", "/readyz")[0], 200)
        wait_for(lambda: os.path.exists(access) and os.path.getsize(access) > 0,
                 "an access line in the new file")
        self.assertEqual([e["route"] for e in events(access)], ["/readyz"])
        self.assertIn("/healthz", [e["route"] for e in events(access + ".1")])
        with open(event + ".1", encoding="utf-8") as old:
            self.assertNotIn("dialogs_reloaded", old.read())
        self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    BINARY, argv = binary_and_argv()
    unittest.main(argv=argv)
