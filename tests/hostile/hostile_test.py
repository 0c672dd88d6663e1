#!/usr/bin/env python3
"""Hostile input against the running `trustcoach serve`: malformed, deep,
huge, slow and endless requests, over plain sockets on 127.0.0.1 (standard
library only). After every test the server must answer a normal
conversation correctly, and the conversations stored before the test must
read back byte for byte the same.

  python3 tests/hostile/hostile_test.py --binary build/bin/trustcoach [unittest args]
"""

import concurrent.futures
import http.client
import json
import os
import re
import select
import socket
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import HOST, Server, bearer, binary_and_argv, read_all, status_of  # noqa: E402
from harness import server as testing_server  # noqa: E402

BINARY = None
MB = 1024 * 1024
# Rate limits off, except in the rate-limit test; a short read timeout keeps
# the slow-client tests short (the default is 5 s).
OPEN = ["--client-rate", "0", "--conversation-rate", "0", "--read-timeout", "2",
        "--threads", "8"]


class HostileTestCase(unittest.TestCase):
    server_args = OPEN

    @classmethod
    def setUpClass(cls):
        cls.server = Server(BINARY, *cls.server_args).start()
        # Conversations that no attack may change.
        cls.kept = []
        for opening in ("my husband cheated on me", "I feel anxious all the time"):
            conversation = cls.server.create({"region": "en-GB"})
            for text in (opening, "yes"):
                status, _, body = cls.server.say(conversation, text)
                assert status == 200, (status, body)
            cls.kept.append(conversation)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.stop()
        finally:
            cls.server.cleanup()

    def setUp(self):
        self.before = self.snapshot()

    def tearDown(self):
        self.assertTrue(self.server.alive(), "the server died: " + self.server.logs()[-4000:])
        self.assertServesNormally(self.server)
        self.assertEqual(self.snapshot(), self.before, "a stored conversation changed")

    def snapshot(self):
        out = {}
        for conversation in self.kept:
            status, _, body = self.server.get(conversation)
            self.assertEqual(status, 200, body)
            out[conversation["id"]] = body
        return out

    def assertServesNormally(self, server, deadline_seconds=20):
        start = time.time()
        conversation = server.create()
        status, headers, reply = server.say(conversation, "my partner lied to me")
        self.assertEqual(status, 200, reply)
        self.assertTrue(reply["messages"] and reply["messages"][0]["text"])
        status, _, stored = server.get(conversation)
        self.assertEqual(status, 200)
        said = [e["text"] for e in stored["transcript"] if e["role"] == "user"]
        self.assertEqual(said, ["my partner lied to me"])
        self.assertLess(time.time() - start, deadline_seconds)

    def message_path(self, conversation):
        return "/v1/conversations/%s/messages" % conversation["id"]

    def post_raw(self, conversation, body, content_type="application/json", timeout=15):
        headers = dict(bearer(conversation))
        if content_type:
            headers["Content-Type"] = content_type
        return self.server.request("POST", self.message_path(conversation), headers=headers,
                                   raw=body, timeout=timeout)

    def assertProblem(self, response, statuses):
        status, headers, body = response
        self.assertIn(status, statuses, body)
        self.assertEqual(headers.get("content-type"), "application/problem+json")
        self.assertIsInstance(body, dict)
        self.assertEqual(body["status"], status)
        return body


class MalformedBodies(HostileTestCase):
    def test_every_truncation_of_a_valid_body_is_a_400(self):
        target = self.server.create()
        valid = b'{"text": "I feel hurt \\u00e9", "region": "en-GB", "x": [1, {"y": null}]}'
        for cut in range(len(valid)):
            with self.subTest(body=valid[:cut]):
                body = self.assertProblem(self.post_raw(target, valid[:cut]), (400,))
                # Problems never quote the request.
                if cut > 12:
                    self.assertNotIn("I feel hurt", json.dumps(body))
        status, _, reply = self.post_raw(target, valid)
        self.assertEqual(status, 200, reply)

    def test_garbage_bodies_are_400(self):
        target = self.server.create()
        for body in (b"\x00", b"\x00" * 100, b"{'text': 'single quotes'}", b'{"text": "x",}',
                     b'{"text": "x"} trailing', b'{"text": "x"}{"text": "y"}',
                     b'{"text": "\\uZZZZ"}', b'{"text": "\\', b"\xff\xfe\xfd", b"nul",
                     b'{"text": "x" "y"}', b"{" * 10, b"}" * 10, b"]" * 5000, b"-",
                     b'{"text": "x", "region": "en-GB" ', b"\r\n\r\n", b" " * 1000):
            with self.subTest(body=body[:40]):
                self.assertProblem(self.post_raw(target, body), (400,))

    def test_wrong_types_are_400(self):
        target = self.server.create()
        for body in ({"text": 5}, {"text": None}, {"text": True}, {"text": []}, {"text": {}},
                     {"text": ["hello"]}, {"text": "hi", "region": 5},
                     {"text": "hi", "region": []}, {"text": "hi", "region": "x" * 100},
                     {"text": "hi", "region": "../../etc"}, {"text": "hi", "region": "en GB"},
                     [], ["text"], "text", 5, None, True, {}):
            with self.subTest(body=body):
                self.assertProblem(self.post_raw(target, json.dumps(body).encode()), (400,))
        for body in ({"region": 5}, {"region": {}}, {"region": "a/b"}, [], "x", 5):
            with self.subTest(create=body):
                self.assertProblem(
                    self.server.request("POST", "/v1/conversations", body), (400,))
        # Numbers past double range are not valid JSON values for nlohmann.
        self.assertProblem(self.post_raw(target, b'{"text": "x", "region": 1e999}'), (400,))
        # Unknown fields are ignored; duplicate keys keep one value.
        status, _, _ = self.post_raw(target, b'{"text": "a", "text": "b", "z": [1e300]}')
        self.assertEqual(status, 200)

    def test_wrong_content_types_and_framing(self):
        target = self.server.create()
        for content_type in ("text/plain", "application/x-www-form-urlencoded",
                             "multipart/form-data; boundary=x", "application/jsonx", ""):
            with self.subTest(content_type=content_type):
                # httplib itself parses (and refuses) a multipart body: 400.
                self.assertProblem(self.post_raw(target, b'{"text": "hi"}', content_type or None),
                                   (400, 415) if "multipart" in content_type else (415,))
        path = self.message_path(target)
        auth = "Authorization: Bearer %s\r\n" % target["token"]
        # A body shorter than its Content-Length, then the client stops sending:
        # the read timeout answers or closes, and the worker is free again.
        start = time.time()
        answer = self.server.raw(
            ("POST %s HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
             "Content-Length: 100\r\n\r\n{\"text\": " % (path, auth)).encode(),
            timeout=15, shutdown=False)
        self.assertLess(time.time() - start, 12)
        self.assertIn(status_of(answer), (None, 400, 408))
        # Content-Length that is not a number, negative, huge, or given twice.
        for length in (b"abc", b"-1", b"99999999999999999999999999", b"1, 2", b"0x10"):
            with self.subTest(length=length):
                answer = self.server.raw(
                    b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n" + auth.encode() +
                    b"Content-Type: application/json\r\nContent-Length: " + length +
                    b"\r\nConnection: close\r\n\r\n{\"text\": \"hi\"}", timeout=15)
                self.assertNotEqual(status_of(answer), 200, answer[:200])
        # Chunked encoding that lies about its chunk sizes.
        answer = self.server.raw(
            b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n" + auth.encode() +
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
            b"Connection: close\r\n\r\nfffffffffffffffffff\r\nabc\r\n0\r\n\r\n", timeout=15)
        self.assertNotEqual(status_of(answer), 200, answer[:200])


class DeepNesting(HostileTestCase):
    # Deep bodies must reach the parser: allow 4 MB here.
    server_args = OPEN + ["--max-body-bytes", str(4 * MB)]

    def test_deep_json_is_refused_without_crashing(self):
        target = self.server.create()
        depth = 100_000
        bodies = [
            b"[" * depth + b"]" * depth,
            b"[" * depth,
            b'{"a":' * depth + b"1" + b"}" * depth,
            b'{"text": "hi", "region": ' + b"[" * depth + b"]" * depth + b"}",
            b'{"text": "hi", "x": ' + b'{"a":[' * (depth // 2) + b"]}" * (depth // 2) + b"}",
            b"[" * (4 * MB - 16),
        ]
        for body in bodies:
            with self.subTest(size=len(body), head=body[:12]):
                start = time.time()
                self.assertProblem(self.post_raw(target, body, timeout=30), (400,))
                self.assertProblem(self.server.request(
                    "POST", "/v1/conversations", headers={"Content-Type": "application/json"},
                    raw=body, timeout=30), (400,))
                self.assertLess(time.time() - start, 10)
        # Brackets inside a string are text, not nesting.
        status, _, reply = self.post_raw(
            target, json.dumps({"text": "[" * depth + "{" * depth}).encode())
        self.assertEqual(status, 200, reply)
        self.assertTrue(reply["messages"])


class HugeRequests(HostileTestCase):
    def stream_body(self, head, total, chunk=64 * 1024, chunked=False):
        """Sends `head` then up to `total` body bytes from a thread while
        reading the answer. Returns (answer bytes, seconds to the first
        answer byte, body bytes the server took before answering)."""
        sock = socket.create_connection((HOST, self.server.port), timeout=30)
        sent = [0]
        done = threading.Event()

        def send():
            try:
                sock.sendall(head)
                block = b"x" * chunk
                if chunked:
                    block = b"%x\r\n" % chunk + block + b"\r\n"
                while sent[0] < total and not done.is_set():
                    sock.sendall(block)
                    sent[0] += chunk
            except OSError:
                pass

        sender = threading.Thread(target=send)
        start = time.time()
        sender.start()
        try:
            sock.settimeout(30)
            first = sock.recv(65536)
            elapsed = time.time() - start
            done.set()  # as a client does on a final answer with Connection: close
            answer = first + read_all(sock, 2)
        except OSError:
            answer, elapsed = b"", time.time() - start
        finally:
            done.set()
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sender.join(timeout=30)
            sock.close()
        return answer, elapsed, sent[0]

    def test_a_100_mb_body_gets_413_at_once(self):
        target = self.server.create()
        rss_before = self.server.rss_kb()
        for path, auth in ((self.message_path(target), bearer(target)["Authorization"]),
                           ("/v1/conversations", "")):
            with self.subTest(path=path):
                head = ("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        "%sContent-Length: %d\r\n\r\n" % (
                            path, "Authorization: %s\r\n" % auth if auth else "", 100 * MB)).encode()
                answer, elapsed, sent = self.stream_body(head, 100 * MB)
                self.assertEqual(status_of(answer), 413, answer[:300])
                self.assertLess(elapsed, 3, "413 only after %.1f s, %d MB sent" % (elapsed, sent // MB))
                self.assertLess(sent, 50 * MB, "the server read the body before answering")
        self.assertLess(self.server.rss_kb() - rss_before, 20 * 1024)

    def test_a_100_mb_chunked_body_is_refused(self):
        target = self.server.create()
        head = ("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                "Authorization: %s\r\nTransfer-Encoding: chunked\r\n\r\n" % (
                    self.message_path(target), bearer(target)["Authorization"])).encode()
        rss_before = self.server.rss_kb()
        answer, elapsed, sent = self.stream_body(head, 100 * MB, chunked=True)
        # The API refuses chunked bodies (411) before reading them; httplib
        # itself would stop at the limit with a 400.
        self.assertIn(status_of(answer), (400, 411, 413), answer[:300])
        self.assertLess(elapsed, 5)
        self.assertLess(self.server.rss_kb() - rss_before, 20 * 1024)

    def test_an_endless_request_line_is_cut_off(self):
        # Before: cpp-httplib 0.11 buffered a request or header line until its
        # newline (100 MB: +107 MB RSS). GuardedServer (server/http_front.h)
        # answers 414 past 8 KiB and closes.
        for prefix in (b"G", b"GET / HTTP/1.1\r\nX-Endless: "):
            rss_before = self.server.rss_kb()
            answer = b""
            with socket.create_connection((HOST, self.server.port), timeout=10) as sock:
                try:
                    sock.sendall(prefix)
                    for _ in range(64 * 16):  # 64 MB without a newline
                        sock.sendall(b"G" * 65536)
                except OSError:
                    pass  # cut off
                answer = read_all(sock, 3)
                grown = self.server.rss_kb() - rss_before
            self.assertLess(grown, 16 * 1024, "the server buffered %d MB of one line" % (grown // 1024))
            self.assertIn(status_of(answer), (414, 431), answer[:200])

    def test_huge_and_numerous_headers(self):
        cases = {
            "one 100 KB header": b"X-Big: " + b"a" * (100 * 1024) + b"\r\n",
            "one 10 MB header": b"X-Big: " + b"a" * (10 * MB) + b"\r\n",
            "10000 headers": b"".join(b"X-H%d: v\r\n" % i for i in range(10000)),
            "a header without a colon": b"no colon here\r\n",
            "a NUL in a header": b"X-Nul: a\x00b\r\n",
            "obsolete line folding": b"X-Fold: a\r\n  folded\r\n",
            "a 1 MB cookie": b"Cookie: " + b"c=" * (MB // 2) + b"\r\n",
        }
        for name, headers in cases.items():
            with self.subTest(case=name):
                start = time.time()
                answer = self.server.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + headers +
                                         b"Connection: close\r\n\r\n", timeout=15)
                code = status_of(answer)
                # Refused with a 4xx, or the connection closed; never a crash.
                self.assertTrue(code is None or code in (200, 400, 413, 414, 431), answer[:200])
                self.assertLess(time.time() - start, 12)
        # A 100 KB request target.
        answer = self.server.raw(b"GET /v1/conversations/" + b"a" * (100 * 1024) +
                                 b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertIn(status_of(answer), (None, 400, 404, 414))


class HostileText(HostileTestCase):
    def test_invalid_utf8_and_nul_bytes_in_text(self):
        target = self.server.create()
        texts = [b"\xff\xfe invalid", b"\xc0\xaf overlong", b"\xed\xa0\x80 surrogate bytes",
                 b"\xf4\x90\x80\x80 past U+10FFFF", b"cut \xe2\x82", b"nul \x00 inside",
                 b"\\u0000 escaped nul", b"\\ud800 lone surrogate escape",
                 b"\\udc00\\ud800 reversed pair", b"\x1b[31m terminal escape \x07",
                 "\u202e right-to-left override".encode(), "\ufeff bom".encode()]
        for text in texts:
            with self.subTest(text=text):
                status, _, body = self.post_raw(target, b'{"text": "' + text + b'"}')
                self.assertIn(status, (200, 400), body)
                self.assertIsInstance(body, dict)
        # Whatever was stored reads back as valid UTF-8 JSON.
        status, headers, raw = self.server.request(
            "GET", "/v1/conversations/" + target["id"],
            headers=dict(bearer(target), **{"Accept": "application/json"}))
        self.assertEqual(status, 200)
        self.assertIsInstance(raw, dict)  # parsed by json.loads: valid UTF-8

    def test_path_traversal_on_static_files(self):
        secrets = (b"root:x:0:0", b"cmake_minimum_required", b"PRIVATE KEY", b"SQLite format")
        paths = ["/../../etc/passwd", "/../../../../../../etc/passwd",
                 "/%2e%2e/%2e%2e/etc/passwd", "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
                 "/..%2f..%2f..%2fetc/passwd", "/%252e%252e/%252e%252e/etc/passwd",
                 "/....//....//etc/passwd", "/..\\..\\etc\\passwd", "/%5c..%5c..%5cetc/passwd",
                 "/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd", "/./././../../etc/passwd",
                 "//etc/passwd", "/index.html/../../../etc/passwd", "/../../CMakeLists.txt",
                 "/%2e%2e/%2e%2e/CMakeLists.txt", "/..%2f..%2fCMakeLists.txt",
                 "/.%2e/.%2e/CMakeLists.txt", "/../server/api.cc", "/widget.js%00.html",
                 "/%00", "/.", "/..", "/~root", "/proc/self/environ", "/../../../proc/self/environ",
                 "/" + "../" * 200 + "etc/passwd", "http://127.0.0.1/../../etc/passwd",
                 "/../data/trustcoach.db"]
        for path in paths:
            with self.subTest(path=path):
                answer = self.server.raw(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                                          % path).encode("latin-1"))
                self.assertIsNotNone(status_of(answer), answer[:200])
                for secret in secrets:
                    self.assertNotIn(secret, answer)

    def test_unknown_and_odd_methods(self):
        for request in (b"FOO / HTTP/1.1", b"TRACE / HTTP/1.1", b"CONNECT 127.0.0.1:22 HTTP/1.1",
                        b"PROPFIND / HTTP/1.1", b"get /healthz HTTP/1.1", b"G\x00T / HTTP/1.1",
                        b"GET", b"GET /healthz", b"GET /healthz HTTP/9.9", b"GET /healthz FOO/1.1",
                        b"X" * 20000 + b" / HTTP/1.1", b"PRI * HTTP/2.0\r\n\r\nSM",
                        b"DELETE /v1/conversations HTTP/1.1", b"\x16\x03\x01\x02\x00\x01\x00",
                        b"   ", b"\r\n\r\n\r\n"):
            with self.subTest(request=request[:40]):
                answer = self.server.raw(request + b"\r\nHost: x\r\nX-Echo: secret-4417\r\n"
                                         b"Connection: close\r\n\r\n", timeout=10)
                code = status_of(answer)
                self.assertTrue(code is None or 400 <= code < 600 or
                                request.startswith(b"GET /healthz"), answer[:200])
                self.assertNotIn(b"secret-4417", answer)  # TRACE must not echo


class SlowAndIdleClients(HostileTestCase):
    def drip(self, count, seconds):
        """Opens `count` connections that each send a request a byte a second
        for `seconds`, from a thread. Returns (sockets, stop event, thread)."""
        socks = [socket.create_connection((HOST, self.server.port), timeout=5)
                 for _ in range(count)]
        stop = threading.Event()
        request = (b"POST /v1/conversations HTTP/1.1\r\nHost: x\r\n" +
                   b"".join(b"X-Slow-%d: %d\r\n" % (i, i) for i in range(20)) +
                   b"Content-Length: 2\r\n\r\n{}")

        def send():
            for i in range(min(seconds, len(request))):
                for sock in socks:
                    try:
                        sock.send(request[i:i + 1])
                    except OSError:
                        pass
                if stop.wait(1):
                    break

        thread = threading.Thread(target=send)
        thread.start()
        return socks, stop, thread

    def test_a_byte_a_second_does_not_hold_the_workers(self):
        # More slow clients than resident worker threads, each sending a
        # request a byte a second: normal requests must still be answered.
        socks, stop, thread = self.drip(24, 20)
        try:
            time.sleep(3)
            start = time.time()
            self.assertServesNormally(self.server, deadline_seconds=8)
            self.assertLess(time.time() - start, 8)
        finally:
            stop.set()
            thread.join()
            for sock in socks:
                sock.close()

    def test_hundreds_of_idle_connections(self):
        idle = []
        fds_before = self.server.open_fds()
        try:
            for _ in range(300):
                idle.append(socket.create_connection((HOST, self.server.port), timeout=5))
            start = time.time()
            self.assertServesNormally(self.server, deadline_seconds=8)
            self.assertLess(time.time() - start, 8)
        finally:
            for sock in idle:
                sock.close()
        # The server lets go of them: file descriptors return to about where they were.
        deadline = time.time() + 15
        while time.time() < deadline and self.server.open_fds() > fds_before + 10:
            time.sleep(0.5)
        self.assertLessEqual(self.server.open_fds(), fds_before + 10)


class Bursts(HostileTestCase):
    def test_300_new_connections_at_once_are_all_answered(self):
        # httplib listens with a backlog of 5; the server raises it, else a
        # burst of new connections is reset.
        def converse(i):
            try:
                created = self.server.create()
                return self.server.say(created, "burst %d" % i)[0]
            except (OSError, http.client.HTTPException) as e:
                return repr(e)
        with concurrent.futures.ThreadPoolExecutor(300) as pool:
            results = list(pool.map(converse, range(300)))
        failures = [r for r in results if r != 200]
        self.assertEqual(failures, [], "%d of 300 failed" % len(failures))


class RateLimit(HostileTestCase):
    # The shipped limits: 10 requests a second, bursts of 40, per address;
    # 1 message a second, bursts of 10, per conversation.
    server_args = ["--read-timeout", "2"]

    def assertServesNormally(self, server, deadline_seconds=20):
        time.sleep(5)  # let the buckets refill
        super().assertServesNormally(server, deadline_seconds)

    def test_a_burst_over_the_limits(self):
        time.sleep(5)
        codes = []
        for _ in range(120):
            status, headers, body = self.server.request("POST", "/v1/conversations", {})
            codes.append(status)
            if status == 429:
                self.assertGreaterEqual(int(headers["retry-after"]), 1)
        self.assertEqual(set(codes), {201, 429})
        self.assertGreaterEqual(codes.count(201), 40)
        self.assertLess(codes.count(201), 80)
        # Health checks are not limited.
        self.assertEqual(self.server.request("GET", "/healthz")[0], 200)

        time.sleep(5)
        target = self.server.create()
        acknowledged = []
        for i in range(30):
            status, _, _ = self.server.say(target, "message %d" % i)
            if status == 200:
                acknowledged.append("message %d" % i)
            else:
                self.assertEqual(status, 429)
        self.assertLess(len(acknowledged), 20)
        _, _, stored = self.server.get(target)
        said = [e["text"] for e in stored["transcript"] if e["role"] == "user"]
        self.assertEqual(said, acknowledged)


class OneAbusiveClient(unittest.TestCase):
    """One client must not take the server from everyone else: bounded
    conversations, a paged transcript, the memory store's byte budget, a
    per-address share of the store, short-lived unanswered conversations,
    /readyz when full, and /metrics kept to the operator. Each test starts
    its own memory-store server with small limits, so each takes seconds."""

    def start(self, *args):
        server = Server(BINARY, "--store", "memory", "--client-rate", "0",
                        "--conversation-rate", "0", *args).start()
        self.addCleanup(server.cleanup)
        self.addCleanup(server.stop)
        return server

    def post(self, server, conversation, text):
        return server.say(conversation, text)

    def test_a_conversation_stops_at_its_turn_cap(self):
        server = self.start("--max-turns", "5")
        conversation = server.create()
        for i in range(5):
            self.assertEqual(self.post(server, conversation, "turn %d" % i)[0], 200)
        status, headers, problem = self.post(server, conversation, "one more")
        self.assertEqual(status, 409, problem)
        self.assertEqual(headers["content-type"], "application/problem+json")
        self.assertEqual(problem["type"], "urn:trustcoach:problem:conversation-full")
        self.assertIn("start a new conversation", problem["detail"])
        self.assertNotIn("one more", json.dumps(problem))
        _, _, stored = server.get(conversation)
        said = [e["text"] for e in stored["transcript"] if e["role"] == "user"]
        self.assertEqual(said, ["turn %d" % i for i in range(5)])

    def test_a_conversation_stops_at_its_byte_cap(self):
        # Before: 3,600 messages of 16 KB made one GET 61 MB.
        server = self.start("--max-conversation-bytes", "100000", "--max-turns", "0")
        conversation = server.create()
        text = "x" * 15000
        codes = [self.post(server, conversation, text)[0] for _ in range(10)]
        answered = codes.count(200)
        self.assertTrue(5 <= answered <= 6, codes)
        self.assertEqual(codes, [200] * answered + [409] * (10 - answered))
        _, _, stored = server.get(conversation)
        self.assertLess(len(json.dumps(stored)), 110000)

    def test_get_of_a_long_conversation_is_paged(self):
        server = self.start("--max-conversation-bytes", "0", "--max-turns", "0")
        conversation = server.create()
        for i in range(40):
            self.assertEqual(self.post(server, conversation, ("%02d " % i) + "y" * 15000)[0], 200)
        path = "/v1/conversations/" + conversation["id"]
        status, _, first = server.request("GET", path, headers=bearer(conversation))
        self.assertEqual(status, 200)
        # One page stops near 256 KB however long the transcript is.
        self.assertLess(len(json.dumps(first)), 300 * 1024)
        self.assertIn("next", first)
        self.assertGreater(first["transcript_total"], len(first["transcript"]))
        # Following `next` gives every entry once, in order.
        entries, at = list(first["transcript"]), first["next"]
        while True:
            status, _, page = server.request("GET", "%s?from=%d&limit=7" % (path, at),
                                             headers=bearer(conversation))
            self.assertEqual(status, 200, page)
            self.assertLessEqual(len(page["transcript"]), 7)
            entries += page["transcript"]
            if "next" not in page:
                break
            at = page["next"]
        self.assertEqual(len(entries), first["transcript_total"])
        said = [e["text"][:2] for e in entries if e["role"] == "user"]
        self.assertEqual(said, ["%02d" % i for i in range(40)])
        for query in ("limit=0", "limit=1001", "from=-1", "limit=x", "from=1e3"):
            status, _, problem = server.request("GET", path + "?" + query,
                                                headers=bearer(conversation))
            self.assertEqual(status, 400, query)

    def test_the_memory_store_has_a_byte_budget(self):
        server = self.start("--memory-max-bytes", "400000", "--max-turns", "0",
                            "--max-conversation-bytes", "0")
        codes = []
        for _ in range(4):
            conversation = server.create()
            for _ in range(10):
                codes.append(self.post(server, conversation, "z" * 15000)[0])
        self.assertIn(503, codes)
        self.assertLess(codes.count(200), 30)
        self.assertEqual(set(codes), {200, 503})
        status, headers, _ = server.request("GET", "/readyz")
        self.assertEqual(status, 503)
        # The first conversation to expire is minutes away at least (the
        # last one, unanswered, after 10 minutes): not "1".
        self.assertGreater(int(headers["retry-after"]), 60)

    def test_one_address_cannot_take_the_whole_store(self):
        # Before: 500 creates from one address filled a store of 500 and
        # everyone else got 503 for two hours.
        server = self.start("--memory-max-conversations", "10",
                            "--max-conversations-per-client", "4")
        mine = [server.create() for _ in range(4)]
        status, headers, problem = server.request("POST", "/v1/conversations", {})
        self.assertEqual(status, 429, problem)
        # Unanswered conversations expire after 10 minutes.
        self.assertTrue(500 <= int(headers["retry-after"]) <= 600, headers["retry-after"])
        other = testing_server.request(server.port, "POST", "/v1/conversations", {},
                                       source="127.0.0.2")
        self.assertEqual(other[0], 201, other)
        # Deleting one of its own makes room for that address again.
        status, _, _ = server.request("DELETE", "/v1/conversations/" + mine[0]["id"],
                                      headers=bearer(mine[0]))
        self.assertEqual(status, 204)
        self.assertEqual(server.request("POST", "/v1/conversations", {})[0], 201)

    def test_a_full_store_says_so_on_readyz_with_a_realistic_retry(self):
        server = self.start("--memory-max-conversations", "3")
        self.assertEqual(server.request("GET", "/readyz")[0], 200)
        for _ in range(3):
            server.create()
        status, headers, _ = server.request("GET", "/readyz")
        self.assertEqual(status, 503)
        status, headers, problem = server.request("POST", "/v1/conversations", {})
        self.assertEqual(status, 503, problem)
        self.assertTrue(500 <= int(headers["retry-after"]) <= 600, headers["retry-after"])

    def test_unanswered_conversations_expire_within_minutes(self):
        server = self.start("--unanswered-expiry", "1", "--sweep-interval", "1")
        unanswered = server.create()
        answered = server.create()
        self.assertEqual(self.post(server, answered, "hello")[0], 200)
        deadline = time.time() + 10
        while server.get(unanswered)[0] == 200 and time.time() < deadline:
            time.sleep(0.2)
        self.assertEqual(server.get(unanswered)[0], 404)
        self.assertEqual(server.get(answered)[0], 200)

    def sqlite(self):
        """A --store argument for a SQLite file removed after the test."""
        folder = tempfile.TemporaryDirectory(prefix="trustcoach-hostile-")
        self.addCleanup(folder.cleanup)  # runs after the server stops
        return "sqlite:" + os.path.join(folder.name, "store.db")

    def test_unanswered_conversations_expire_within_minutes_on_sqlite(self):
        # Before: only the memory store had the short window; SQLite kept an
        # unanswered conversation for the full two hours.
        server = self.start("--store", self.sqlite(), "--unanswered-expiry", "1",
                            "--sweep-interval", "1")
        unanswered = server.create()
        answered = server.create()
        self.assertEqual(self.post(server, answered, "hello")[0], 200)
        deadline = time.time() + 10
        while server.get(unanswered)[0] == 200 and time.time() < deadline:
            time.sleep(0.2)
        self.assertEqual(server.get(unanswered)[0], 404)
        self.assertEqual(server.get(answered)[0], 200)

    def test_a_full_sqlite_store_says_so_on_readyz_with_a_realistic_retry(self):
        # Before: SQLite had no cap, /readyz stayed 200 and Retry-After was 1.
        server = self.start("--store", self.sqlite(), "--sqlite-max-conversations", "3")
        self.assertEqual(server.request("GET", "/readyz")[0], 200)
        for _ in range(3):
            server.create()
        status, headers, _ = server.request("GET", "/readyz")
        self.assertEqual(status, 503)
        status, headers, problem = server.request("POST", "/v1/conversations", {})
        self.assertEqual(status, 503, problem)
        self.assertTrue(500 <= int(headers["retry-after"]) <= 600, headers["retry-after"])

    def test_metrics_need_the_api_key_carry_no_cors_and_bound_methods(self):
        server = self.start("--api-key", "k3y", "--allowed-origin", "https://good.example")
        self.assertEqual(server.request("GET", "/metrics")[0], 401)
        self.assertEqual(server.request("GET", "/metrics", headers={"X-API-Key": "nope"})[0], 403)
        server.raw(b"ZZTOP /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", timeout=3)
        status, headers, text = server.request(
            "GET", "/metrics", headers={"X-API-Key": "k3y", "Origin": "https://good.example"})
        self.assertEqual(status, 200)
        self.assertNotIn("access-control-allow-origin", headers)
        text = text.decode() if isinstance(text, bytes) else str(text)
        self.assertNotIn("ZZTOP", text)
        self.assertIn('method="other"', text)

    def test_an_origin_that_starts_with_an_allowed_one_gets_no_cors(self):
        server = self.start("--allowed-origin", "https://good.example")
        for origin, allowed in (("https://good.example", True),
                                ("https://good.example.evil.net", False),
                                ("https://good.example:8443", False),
                                ("https://good.exampl", False),
                                ("http://good.example", False)):
            status, headers, _ = server.request("POST", "/v1/conversations", {},
                                                headers={"Origin": origin})
            self.assertEqual(status, 201)
            self.assertEqual(headers.get("access-control-allow-origin"),
                             origin if allowed else None, origin)
            status, headers, _ = server.request(
                "OPTIONS", "/v1/conversations",
                headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
            self.assertEqual(status, 204 if allowed else 403, origin)


class StaticFiles(unittest.TestCase):
    """Only regular files whose real path is inside --web-dir, no dotfiles;
    the demo page with CSP, frame-ancestors and Referrer-Policy; widget.js
    under a versioned, long-cached URL."""

    WEB = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "server", "web")

    def test_index_html_names_the_current_widget_version(self):
        import hashlib
        with open(os.path.join(self.WEB, "widget.js"), "rb") as widget:
            version = hashlib.sha256(widget.read()).hexdigest()[:12]
        with open(os.path.join(self.WEB, "index.html"), encoding="utf-8") as page:
            self.assertIn('src="/widget.js?v=%s"' % version, page.read(),
                          "server/web/index.html must load /widget.js?v=<the first 12 hex "
                          "digits of its SHA-256>, so that browsers never keep an old one")

    def test_only_regular_files_inside_the_web_folder_are_served(self):
        import shutil
        import tempfile
        folder = tempfile.mkdtemp(prefix="trustcoach-web-")
        self.addCleanup(shutil.rmtree, folder, True)
        web = os.path.join(folder, "web")
        shutil.copytree(self.WEB, web)
        secret = os.path.join(folder, "secret.db")
        with open(secret, "w") as out:
            out.write("SQLite format 3 and conversations")
        os.symlink("/etc/passwd", os.path.join(web, "passwd"))
        os.symlink(secret, os.path.join(web, "trustcoach.db"))
        os.symlink("/etc", os.path.join(web, "etc"))
        os.symlink(folder, os.path.join(web, "up"))
        with open(os.path.join(web, ".env"), "w") as out:
            out.write("API_KEY=hunter2")
        os.mkdir(os.path.join(web, ".git"))
        with open(os.path.join(web, ".git", "config"), "w") as out:
            out.write("[core] hunter2")
        os.mkdir(os.path.join(web, "sub"))
        server = Server(BINARY, "--web-dir", web, "--store", "memory").start()
        self.addCleanup(server.cleanup)
        self.addCleanup(server.stop)
        for path in ("/passwd", "/trustcoach.db", "/etc/passwd", "/up/secret.db", "/.env",
                     "/.git/config", "/sub/..%2f.env", "/%2eenv", "/sub", "/sub/"):
            for method in ("GET", "HEAD"):
                status, headers, body = server.request(method, path)
                self.assertEqual(status, 404, (method, path))
                self.assertNotIn(b"root:x:0:0", body if isinstance(body, bytes) else b"")
                self.assertNotIn("hunter2", json.dumps(body) if isinstance(body, dict) else str(body))
        for path in ("/", "/index.html"):
            status, headers, body = server.request("GET", path)
            self.assertEqual(status, 200, path)
            csp = headers["content-security-policy"]
            self.assertIn("frame-ancestors 'none'", csp)
            self.assertIn("script-src 'self'", csp)
            self.assertEqual(headers["x-frame-options"], "DENY")
            self.assertEqual(headers["referrer-policy"], "no-referrer")
        status, headers, _ = server.request("GET", "/widget.js?v=abc")
        self.assertEqual(status, 200)
        self.assertIn("immutable", headers["cache-control"])
        status, headers, _ = server.request("GET", "/widget.js")
        self.assertEqual(status, 200)
        self.assertEqual(headers["cache-control"], "no-cache")
        self.assertEqual(server.request("GET", "/demo.css")[0], 200)


class UnwritableDatabase(unittest.TestCase):
    """A database the server's user cannot write is refused at start with a
    clear message, and nothing is left behind that breaks the next start
    (before: it started, answered 503 to every create, logged nothing and
    left a 0400 -shm file). Runs as `nobody` when the test runs as root,
    since root writes any file."""

    def test_an_unwritable_database_is_refused_at_start(self):
        import pwd
        import shutil
        import subprocess
        import tempfile
        folder = tempfile.mkdtemp(prefix="trustcoach-ro-")
        self.addCleanup(shutil.rmtree, folder, True)
        user = None
        if os.geteuid() == 0:
            user = pwd.getpwnam("nobody")
            os.chmod(folder, 0o755)
            os.chown(folder, user.pw_uid, user.pw_gid)

        def as_user():
            if user is not None:
                os.setgroups([])
                os.setgid(user.pw_gid)
                os.setuid(user.pw_uid)

        database = os.path.join(folder, "trustcoach.db")
        server = Server(BINARY, "--store", "sqlite:" + database)
        server.start()
        server.stop()
        for name in os.listdir(folder):
            if name.startswith("trustcoach.db-"):
                os.remove(os.path.join(folder, name))
        if user is not None:
            os.chown(database, user.pw_uid, user.pw_gid)
        os.chmod(database, 0o400)
        try:
            result = subprocess.run(
                [BINARY, "serve", "--host", HOST, "--port", "0", "--store", "sqlite:" + database,
                 "--access-log", "off"],
                preexec_fn=as_user, capture_output=True, timeout=20)
        except subprocess.TimeoutExpired:
            self.fail("the server started on a database it cannot write")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(b"cannot write the database", result.stderr)
        self.assertEqual([n for n in os.listdir(folder) if n.startswith("trustcoach.db-")], [])
        # Once the database is writable again, the server starts.
        os.chmod(database, 0o600)
        again = subprocess.Popen(
            [BINARY, "serve", "--host", HOST, "--port", "0", "--store", "sqlite:" + database,
             "--access-log", "off"],
            preexec_fn=as_user, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            line = again.stdout.readline()
            self.assertIn(b"listening on", line, again.stderr.read1(4000) if not line else line)
        finally:
            again.terminate()
            again.wait(timeout=20)


class HttpLayer(unittest.TestCase):
    """The request head is bounded and has a deadline, one address cannot
    hold every connection, duplicate Content-Length is refused, pipelined
    requests are all answered, and every refusal is logged with the peer's
    address (server/http_front.h)."""

    def start(self, *args):
        server = Server(BINARY, "--store", "memory", "--client-rate", "0",
                        "--conversation-rate", "0", *args)
        server.args = [a for a in server.args if a not in ("--access-log", "off")]
        server.args[:0] = ["--access-log", os.path.join(server.data, "access.log")]
        server.start()
        self.addCleanup(server.cleanup)
        self.addCleanup(server.stop)
        return server

    def access_log(self, server):
        with open(os.path.join(server.data, "access.log")) as log:
            return [json.loads(line) for line in log if line.strip()]

    def test_pipelined_requests_are_all_answered_in_order(self):
        server = self.start()
        created = server.create()
        body = b'{"text": "hello"}'
        turn = (b"POST /v1/conversations/%s/messages HTTP/1.1\r\nHost: x\r\n"
                b"Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n%s") % (created["id"].encode(),
                                                  created["token"].encode(), len(body), body)
        answer = server.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + turn + turn +
                            b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                            timeout=10)
        statuses = [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", answer)]
        self.assertEqual(statuses, [200, 200, 200, 200], answer[:2000])
        _, _, stored = server.get(created)
        self.assertEqual(stored["state"]["turns"], 2)

    def test_duplicate_content_length_is_400(self):
        server = self.start()
        answer = server.raw(b"POST /v1/conversations HTTP/1.1\r\nHost: x\r\n"
                            b"Content-Type: application/json\r\nContent-Length: 2\r\n"
                            b"Content-Length: 2\r\n\r\n{}", timeout=5)
        self.assertEqual(status_of(answer), 400, answer[:300])

    def test_a_slow_head_gets_408_at_the_deadline(self):
        server = self.start("--request-deadline", "2", "--read-timeout", "5")
        start = time.time()
        with socket.create_connection((HOST, server.port), timeout=10) as sock:
            answer = b""
            for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\n":
                try:
                    sock.sendall(bytes([byte]))
                except OSError:
                    break
                # A byte every 0.25 s, until the server answers.
                if select.select([sock], [], [], 0.25)[0] or time.time() - start > 6:
                    break
            answer = read_all(sock, 3)
        self.assertEqual(status_of(answer), 408, answer[:300])
        self.assertLess(time.time() - start, 8)

    def test_one_address_cannot_hold_every_connection(self):
        server = self.start("--max-connections-per-address", "20")
        socks = []
        try:
            for _ in range(20):
                socks.append(socket.create_connection((HOST, server.port), timeout=5))
                socks[-1].sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            for sock in socks:  # each one is being served (keep-alive)
                self.assertEqual(status_of(sock.recv(4096)), 200)
            answer = server.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)
            self.assertEqual(status_of(answer), 503, answer[:300])
            # Another address is served.
            other = testing_server.request(server.port, "GET", "/healthz", source="127.0.0.2")
            self.assertEqual(other[0], 200)
        finally:
            for sock in socks:
                sock.close()
        deadline = time.time() + 10
        while time.time() < deadline and server.request("GET", "/healthz")[0] != 200:
            time.sleep(0.1)
        self.assertEqual(server.request("GET", "/healthz")[0], 200)

    def test_refusals_are_logged_with_the_remote_address(self):
        server = self.start()
        server.raw(b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n", timeout=3)
        server.raw(b"GET / HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n", timeout=3)
        server.raw(b"GARBAGE\r\n\r\n", timeout=3)
        self.assertEqual(server.request("GET", "/healthz")[0], 200)
        deadline = time.time() + 5
        while time.time() < deadline and len(self.access_log(server)) < 4:
            time.sleep(0.1)
        lines = self.access_log(server)
        self.assertEqual(sorted(line["status"] for line in lines), [200, 400, 414, 431], lines)
        for line in lines:
            self.assertEqual(line["remote"], "127.0.0.1", line)


if __name__ == "__main__":
    BINARY, argv = binary_and_argv()
    unittest.main(argv=argv, verbosity=2)
