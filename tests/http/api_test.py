#!/usr/bin/env python3
"""End-to-end tests of `trustcoach serve`: the real binary on a free loopback
port, driven over HTTP with the standard library only.

  python3 tests/http/api_test.py --binary build/bin/trustcoach [unittest args]
"""

import concurrent.futures
import http.client
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "tools"))
from server_process import TIME_SCALE, Server, bearer, binary_and_argv  # noqa: E402

BINARY = None
SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECRET = "my-distinctive-secret-words-4417"


# Limits high enough that only the rate-limit test meets them.
OPEN = ["--client-rate", "0", "--conversation-rate", "0"]


class HttpTestCase(unittest.TestCase):
    def serve(self, *args, **kwargs):
        server = Server(BINARY, *args, **kwargs).start()
        self.addCleanup(server.cleanup)
        self.addCleanup(server.stop)
        return server

    def assertProblem(self, response, status):
        code, headers, body = response
        self.assertEqual(code, status, body)
        self.assertEqual(headers.get("content-type"), "application/problem+json")
        self.assertIsInstance(body, dict, body)
        self.assertEqual(body["status"], status)
        for field in ("type", "title", "detail"):
            self.assertIsInstance(body[field], str)
            self.assertTrue(body[field])
        return body


class ConversationTest(HttpTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(BINARY, *OPEN).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.cleanup()

    def test_a_whole_conversation(self):
        status, headers, created = self.server.request(
            "POST", "/v1/conversations", {"region": "en-GB"})
        self.assertEqual(status, 201)
        self.assertRegex(created["id"], r"^[0-9a-f]{32}$")
        self.assertGreaterEqual(len(created["token"]), 43)
        self.assertEqual(headers["location"], "/v1/conversations/" + created["id"])
        self.assertEqual(headers["cache-control"], "no-store")
        self.assertTrue(created["messages"])
        for message in created["messages"]:
            self.assertIsInstance(message["text"], str)
            self.assertIsInstance(message["quick_replies"], list)
        self.assertEqual(created["safety"]["kind"], "none")

        status, _, reply = self.server.say(created, "My partner lied to me " + SECRET)
        self.assertEqual(status, 200, reply)
        self.assertTrue(reply["messages"])
        self.assertEqual(set(reply["safety"]), {"kind", "level", "earlier"})
        self.assertIsInstance(reply["resources"], list)
        self.assertNotIn("explain", reply)

        status, _, explained = self.server.say(created, "I feel betrayed", "?explain=1")
        self.assertEqual(status, 200)
        self.assertIn("explain", explained)

        status, _, conversation = self.server.get(created)
        self.assertEqual(status, 200)
        self.assertEqual(conversation["id"], created["id"])
        self.assertEqual(conversation["region"], "en-GB")
        self.assertEqual(conversation["state"]["turns"], 2)
        said = [entry["text"] for entry in conversation["transcript"] if entry["role"] == "user"]
        self.assertEqual(said, ["My partner lied to me " + SECRET, "I feel betrayed"])
        coach = [entry for entry in conversation["transcript"] if entry["role"] == "coach"]
        self.assertEqual(coach[0]["text"], created["messages"][0]["text"])

        status, headers, body = self.server.request(
            "DELETE", "/v1/conversations/" + created["id"], headers=bearer(created))
        self.assertEqual(status, 204)
        self.assertEqual(body, b"")
        self.assertProblem(self.server.get(created), 404)
        self.assertProblem(self.server.say(created, "hello?"), 404)

    def test_crisis_text_gets_safety_and_resources(self):
        created = self.server.create({"region": "US"})
        status, _, reply = self.server.say(created, "I want to kill myself")
        self.assertEqual(status, 200)
        self.assertEqual(reply["safety"]["kind"], "suicide")
        self.assertEqual(reply["safety"]["level"], "crisis")
        self.assertTrue(reply["resources"])
        # The restored transcript shows the helplines where they were.
        _, _, conversation = self.server.get(created)
        last = [e for e in conversation["transcript"] if e["role"] == "coach"][-1]
        self.assertEqual(last["safety"]["kind"], "suicide")
        self.assertEqual(last["resources"], reply["resources"])

    def test_region_from_accept_language(self):
        created = self.server.create(headers={"Accept-Language": "en-AU,en;q=0.8"})
        _, _, conversation = self.server.get(created)
        self.assertEqual(conversation["region"], "en-AU")

    def test_empty_and_unframed_create_bodies(self):
        status, _, created = self.server.request("POST", "/v1/conversations", raw=b"")
        self.assertEqual(status, 201, created)
        # No Content-Length at all: still a conversation, not a timeout.
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=3)
        connection.putrequest("POST", "/v1/conversations")
        connection.endheaders()
        self.assertEqual(connection.getresponse().status, 201)
        connection.close()

    def test_chunked_bodies_are_refused_before_they_are_read(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=5)
        try:
            connection.request("POST", "/v1/conversations", body=iter([b"{", b"}" * 100000]),
                               headers={"Content-Type": "application/json",
                                        "Transfer-Encoding": "chunked"}, encode_chunked=True)
        except (BrokenPipeError, ConnectionResetError):
            # The server answered and closed before the body was sent (slow
            # runs, e.g. under TSan): the refusal the test is about. Its 411
            # is still in our receive buffer unless the close reset it.
            pass
        try:
            response = connection.getresponse()
        except ConnectionResetError:
            response = None  # the reset discarded the answer; refused unread
        if response is not None:
            self.assertEqual(response.status, 411)
            self.assertEqual(response.getheader("Content-Type"), "application/problem+json")
        connection.close()
        self.assertEqual(self.server.request("GET", "/healthz")[0], 200)

    def test_tokens_are_per_conversation(self):
        first = self.server.create()
        second = self.server.create()
        self.assertProblem(self.server.get(first, token=second["token"]), 404)
        self.assertProblem(self.server.request(
            "DELETE", "/v1/conversations/" + first["id"], headers=bearer(second)), 404)
        status, _, _ = self.server.get(first)
        self.assertEqual(status, 200)
        body = self.assertProblem(self.server.request(
            "GET", "/v1/conversations/" + first["id"]), 401)
        self.assertIn("Bearer", body["detail"])
        self.assertProblem(self.server.request(
            "GET", "/v1/conversations/" + first["id"],
            headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401)

    def test_errors_are_problem_json(self):
        created = self.server.create()
        path = "/v1/conversations/%s/messages" % created["id"]
        auth = bearer(created)
        json_auth = dict(auth, **{"Content-Type": "application/json"})
        cases = [
            (("POST", path, None, json_auth, b"{not json"), 400),
            (("POST", path, None, json_auth, b"[1, 2]"), 400),
            (("POST", path, None, json_auth, b'{"text": 5}'), 400),
            (("POST", path, None, json_auth, b'{"txt": "hi"}'), 400),
            (("POST", path, None, json_auth, b'{"text": "hi", "region": "../../x"}'), 400),
            (("POST", path, None, json_auth, b"[" * 5000 + b"]" * 5000), 400),
            (("POST", path, None, json_auth, b"{\"text\": \"" + b"x" * 20000 + b"\"}"), 413),
            (("POST", path, None, dict(auth, **{"Content-Type": "text/plain"}), b"hi"), 415),
            (("POST", "/v1/conversations", None, {"Content-Type": "text/plain"}, b"x"), 415),
            (("POST", "/v1/conversations", None, {"Content-Type": "application/json"}, b"{"), 400),
            (("POST", path, {"text": "hi"}, {}, None), 401),
            (("POST", "/v1/conversations/%s/messages" % ("0" * 32), {"text": "hi"}, auth, None), 404),
            (("GET", "/v1/conversations/not-an-id", None, auth, None), 404),
            (("GET", "/v1/nothing-here", None, {}, None), 404),
            (("GET", "/no-such-file.html", None, {}, None), 404),
            (("GET", "/v1/conversations", None, {}, None), 405),
            (("PUT", "/v1/conversations/" + created["id"], {"text": "hi"}, auth, None), 405),
            (("PATCH", path, {"text": "hi"}, auth, None), 405),
            (("DELETE", "/healthz", None, {}, None), 405),
        ]
        for (method, target, body, headers, raw), status in cases:
            with self.subTest(method=method, target=target[:60], status=status):
                response = self.server.request(method, target, body, headers, raw)
                self.assertProblem(response, status)
                if status == 405:
                    self.assertIn("allow", response[1])
        # The conversation is unharmed and the server answers normally.
        status, _, reply = self.server.say(created, "hello")
        self.assertEqual(status, 200, reply)

    def test_hostile_text_is_answered(self):
        created = self.server.create()
        path = "/v1/conversations/%s/messages" % created["id"]
        headers = dict(bearer(created), **{"Content-Type": "application/json"})
        for raw in (b'{"text": "\\u0000nul and \\ud800 lone surrogate"}',
                    b'{"text": "\xff\xfe invalid utf-8"}',
                    b'{"text": ""}'):
            with self.subTest(raw=raw):
                status, _, body = self.server.request("POST", path, headers=headers, raw=raw)
                self.assertIn(status, (200, 400), body)
                self.assertIsInstance(body, dict)
        status, _, conversation = self.server.get(created)
        self.assertEqual(status, 200)

    def test_health_ready_metrics_openapi(self):
        self.assertEqual(self.server.request("GET", "/healthz")[0], 200)
        status, _, ready = self.server.request("GET", "/readyz")
        self.assertEqual((status, ready["status"]), (200, "ready"))
        created = self.server.create()
        self.server.say(created, "I want to die " + SECRET)
        self.server.say(created, "zxqv wibble " + SECRET)
        status, headers, metrics = self.server.request("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/plain"))
        text = metrics.decode()
        for name in ("trustcoach_http_requests_total{route=\"/v1/conversations\",method=\"POST\",status=\"201\"}",
                     "trustcoach_http_request_duration_seconds_bucket{route=\"/v1/conversations/{id}/messages\",le=\"+Inf\"}",
                     "trustcoach_conversations_active ",
                     "trustcoach_safety_events_total{kind=\"suicide\"",
                     "trustcoach_fallback_ratio "):
            self.assertIn(name, text)
        self.assertNotIn(SECRET, text)
        self.assertNotIn(created["id"], text)
        status, _, spec = self.server.request("GET", "/v1/openapi.json")
        self.assertEqual(status, 200)
        self.assertTrue(spec["openapi"].startswith("3.1"))
        self.assertIn("/v1/conversations/{id}/messages", spec["paths"])

    def test_static_demo_page_and_no_traversal(self):
        status, headers, body = self.server.request("GET", "/")
        if not os.path.exists(os.path.join(SOURCE_DIR, "server", "web", "index.html")):
            self.skipTest("no server/web/index.html")
        self.assertEqual(status, 200)
        self.assertIn("text/html", headers["content-type"])
        for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc/passwd"):
            with self.subTest(path=path):
                status, _, body = self.server.request("GET", path)
                self.assertNotEqual(status, 200)
                self.assertNotIn(b"root:", body if isinstance(body, bytes) else b"")

    def test_parallel_turns_on_one_conversation_lose_nothing(self):
        created = self.server.create()
        texts = ["parallel message %d" % i for i in range(12)]
        with concurrent.futures.ThreadPoolExecutor(len(texts)) as pool:
            results = list(pool.map(lambda text: self.server.say(created, text)[0], texts))
        self.assertEqual(results, [200] * len(texts))
        _, _, conversation = self.server.get(created)
        said = [entry["text"] for entry in conversation["transcript"] if entry["role"] == "user"]
        self.assertEqual(sorted(said), sorted(texts))
        self.assertEqual(conversation["state"]["turns"], len(texts))

    def test_a_hundred_conversations_at_once(self):
        def converse(i):
            created = self.server.create()
            status, _, _ = self.server.say(created, "conversation %d" % i)
            code, _, conversation = self.server.get(created)
            # The person's last line (a reply may have several messages).
            said = [e["text"] for e in conversation["transcript"] if e["role"] == "user"]
            return status, code, said[-1]
        with concurrent.futures.ThreadPoolExecutor(100) as pool:
            results = list(pool.map(converse, range(100)))
        self.assertEqual(results, [(200, 200, "conversation %d" % i) for i in range(100)])


class ConfigurationTest(HttpTestCase):
    def test_api_key_is_required_when_configured(self):
        server = self.serve("--api-key", "s3cret", "--store", "memory")
        self.assertProblem(server.request("POST", "/v1/conversations", {}), 401)
        self.assertProblem(server.request("POST", "/v1/conversations", {},
                                          {"X-API-Key": "wrong"}), 403)
        status, _, _ = server.request("POST", "/v1/conversations", {}, {"X-API-Key": "s3cret"})
        self.assertEqual(status, 201)
        self.assertEqual(server.request("GET", "/healthz")[0], 200)

    def test_api_key_from_environment_and_config_file(self):
        config = os.path.join(tempfile.mkdtemp(prefix="trustcoach-conf-"), "serve.conf")
        self.addCleanup(shutil.rmtree, os.path.dirname(config))
        with open(config, "w") as out:
            out.write("store = memory\napi-key = from-file\n")
        server = self.serve("--config", config, env={"TRUSTCOACH_API_KEY": "from-env"})
        self.assertProblem(server.request("POST", "/v1/conversations", {},
                                          {"X-API-Key": "from-file"}), 403)
        self.assertEqual(server.request("POST", "/v1/conversations", {},
                                        {"X-API-Key": "from-env"})[0], 201)

    def test_cors(self):
        server = self.serve("--allowed-origin", "https://good.example", "--store", "memory")
        preflight = {"Origin": "https://good.example",
                     "Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "content-type, authorization"}
        status, headers, _ = server.request("OPTIONS", "/v1/conversations", headers=preflight)
        self.assertEqual(status, 204)
        self.assertEqual(headers["access-control-allow-origin"], "https://good.example")
        self.assertIn("POST", headers["access-control-allow-methods"])
        self.assertIn("Authorization", headers["access-control-allow-headers"])
        self.assertProblem(server.request("OPTIONS", "/v1/conversations", headers=dict(
            preflight, Origin="https://evil.example")), 403)
        status, headers, _ = server.request("POST", "/v1/conversations", {},
                                            {"Origin": "https://good.example"})
        self.assertEqual(status, 201)
        self.assertEqual(headers["access-control-allow-origin"], "https://good.example")
        self.assertIn("Location", headers["access-control-expose-headers"])
        status, headers, _ = server.request("POST", "/v1/conversations", {},
                                            {"Origin": "https://evil.example"})
        self.assertNotIn("access-control-allow-origin", headers)

    def test_rate_limits(self):
        server = self.serve("--store", "memory", "--client-rate", "0.5", "--client-burst", "4",
                            "--conversation-rate", "0.2", "--conversation-burst", "1")
        created = server.create()
        self.assertEqual(server.say(created, "one")[0], 200)
        body = self.assertProblem(server.say(created, "two"), 429)
        self.assertIn("conversation", body["detail"])
        codes = [server.request("POST", "/v1/conversations", {}) for _ in range(10)]
        self.assertEqual(codes[0][0], 201)
        limited = [response for response in codes if response[0] == 429]
        self.assertTrue(limited)
        self.assertProblem(limited[0], 429)
        self.assertGreaterEqual(int(limited[0][1]["retry-after"]), 1)
        self.assertEqual(server.request("GET", "/healthz")[0], 200)
        self.assertIn('trustcoach_rate_limited_total{scope="client"}',
                      server.request("GET", "/metrics")[2].decode())

    def test_behind_a_trusted_proxy_the_forwarded_address_is_limited(self):
        server = self.serve("--store", "memory", "--client-rate", "0.1", "--client-burst", "1",
                            "--trusted-proxy", "127.0.0.1")
        def create(forwarded):
            return server.request("POST", "/v1/conversations", {},
                                  {"X-Forwarded-For": forwarded})[0]
        self.assertEqual(create("198.51.100.1"), 201)
        self.assertEqual(create("198.51.100.2"), 201)
        self.assertEqual(create("6.6.6.6, 198.51.100.1"), 429)
        server.stop()
        lines = [json.loads(line) for line in open(server.stdout_path) if line.startswith("{")]
        # Only the three creations: the harness's own probes are logged too.
        remotes = [line["remote"] for line in lines if line["route"] == "/v1/conversations"]
        # Lines are written after each response, so their order may vary.
        self.assertEqual(sorted(remotes), ["198.51.100.1", "198.51.100.1", "198.51.100.2"])

    def test_forwarded_for_is_ignored_without_a_trusted_proxy(self):
        server = self.serve("--store", "memory", "--client-rate", "0.1", "--client-burst", "1")
        self.assertEqual(server.request("POST", "/v1/conversations", {},
                                        {"X-Forwarded-For": "198.51.100.1"})[0], 201)
        self.assertEqual(server.request("POST", "/v1/conversations", {},
                                        {"X-Forwarded-For": "198.51.100.2"})[0], 429)

    def test_access_log_is_json_without_text_or_ids(self):
        server = self.serve(*OPEN, "--store", "memory")
        created = server.create()
        server.say(created, SECRET)
        server.get(created)
        server.stop()
        lines = [json.loads(line) for line in open(server.stdout_path) if line.startswith("{")]
        self.assertGreaterEqual(len(lines), 3)
        self.assertIn("/v1/conversations/{id}/messages", [line["route"] for line in lines])
        for line in lines:
            self.assertEqual(set(line), {"time", "remote", "method", "route", "status", "ms",
                                         "bytes_in", "bytes_out"})
        logs = server.logs()
        self.assertNotIn(SECRET, logs)
        self.assertNotIn(created["id"], logs)
        self.assertNotIn(created["token"], logs)

    def test_bad_flags_and_help(self):
        result = subprocess.run([BINARY, "serve", "--port", "http"], capture_output=True, text=True)
        self.assertEqual(result.returncode, 2)
        self.assertIn("port: expected an integer", result.stderr)
        result = subprocess.run([BINARY, "serve", "--help"], capture_output=True, text=True)
        self.assertEqual(result.returncode, 0)
        self.assertIn("--store", result.stdout)

    def test_sighup_reloads_dialogs_and_keeps_serving_a_broken_set(self):
        dialogs = tempfile.mkdtemp(prefix="trustcoach-dialogs-")
        self.addCleanup(shutil.rmtree, dialogs)
        shutil.copytree(os.path.join(SOURCE_DIR, "dialogs"), dialogs, dirs_exist_ok=True)
        server = self.serve(*OPEN, "--store", "memory", "--dialogs", dialogs)
        created = server.create()
        engine = os.path.join(dialogs, "engine.json")
        with open(engine) as original:
            good = original.read()
        with open(engine, "w") as broken:
            broken.write("{ this is not json")
        server.process.send_signal(signal.SIGHUP)
        self.wait_for(server, "dialogs_reload_rejected")
        self.assertIn("engine.json", server.logs())
        self.assertEqual(server.say(created, "hello")[0], 200)
        with open(engine, "w") as fixed:
            fixed.write(good)
        server.process.send_signal(signal.SIGHUP)
        self.wait_for(server, "dialogs_reloaded")
        self.assertEqual(server.say(created, "hello again")[0], 200)
        self.assertIn('trustcoach_dialog_reloads_total{result="rejected"} 1',
                      server.request("GET", "/metrics")[2].decode())

    def wait_for(self, server, text):
        deadline = time.time() + 10 * TIME_SCALE
        while text not in server.logs():
            self.assertLess(time.time(), deadline, "no %s in %s" % (text, server.logs()))
            time.sleep(0.05)


class PersistenceTest(HttpTestCase):
    def test_sqlite_is_the_default_and_survives_a_restart(self):
        server = Server(BINARY, *OPEN).start()
        self.addCleanup(server.cleanup)
        self.addCleanup(server.stop)  # also when an assertion fails
        created = server.create()
        server.say(created, "before the restart")
        self.assertIn("store sqlite:", server.logs())
        self.assertTrue(os.path.exists(os.path.join(server.data, "trustcoach.db")))
        self.assertEqual(server.stop(signal.SIGTERM), 0)
        self.assertIn('"event":"stopped"', server.logs())
        server.start()
        status, _, conversation = server.get(created)
        self.assertEqual(status, 200)
        self.assertIn("before the restart", [e["text"] for e in conversation["transcript"]])
        self.assertEqual(server.say(created, "after the restart")[0], 200)
        server.stop()

    def test_database_files_are_private_to_the_server_user(self):
        # A path of the operator's choosing, in a folder others may read:
        # the database and the -wal and -shm files (which hold message text)
        # must still be the server user's alone, from the very first start.
        folder = tempfile.mkdtemp(prefix="trustcoach-perm-")
        self.addCleanup(shutil.rmtree, folder, True)
        os.chmod(folder, 0o755)
        path = os.path.join(folder, "explicit.db")
        server = Server(BINARY, *OPEN, "--store", "sqlite:" + path).start()
        self.addCleanup(server.cleanup)
        self.addCleanup(server.stop)  # also when an assertion fails
        self.assertEqual(server.say(server.create(), "a private message")[0], 200)
        for suffix in ("", "-wal", "-shm"):
            mode = os.stat(path + suffix).st_mode & 0o777
            self.assertEqual(mode & 0o077, 0, "%s%s has mode %o" % (path, suffix, mode))
        server.stop()

    def test_sigterm_answers_the_request_in_flight_then_exits(self):
        server = Server(BINARY, *OPEN).start()
        self.addCleanup(server.cleanup)
        self.addCleanup(server.stop)  # also when an assertion fails
        created = server.create()
        body = json.dumps({"text": "said while stopping"}).encode()
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.putrequest("POST", "/v1/conversations/%s/messages" % created["id"])
        connection.putheader("Authorization", "Bearer " + created["token"])
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders()
        connection.send(body[:10])
        time.sleep(0.3)  # the request is in flight: headers read, body pending
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        connection.send(body[10:])
        response = connection.getresponse()
        self.assertEqual(response.status, 200)
        response.read()
        connection.close()
        self.assertEqual(server.wait(timeout=20), 0)
        server.stop()
        server.start()
        _, _, stored = server.get(created)
        self.assertIn("said while stopping", [e["text"] for e in stored["transcript"]])
        server.stop()

    def test_no_acknowledged_turn_is_lost_on_kill_9(self):
        server = Server(BINARY, *OPEN).start()
        self.addCleanup(server.cleanup)
        self.addCleanup(server.stop)  # also when an assertion fails
        conversations = [server.create() for _ in range(3)]
        acknowledged = {c["id"]: [] for c in conversations}
        stop = threading.Event()

        def talk(conversation):
            i = 0
            while not stop.is_set():
                text = "turn %d" % i
                try:
                    status, _, _ = server.say(conversation, text)
                except (OSError, http.client.HTTPException):
                    return
                if status == 200:
                    acknowledged[conversation["id"]].append(text)
                i += 1

        threads = [threading.Thread(target=talk, args=(c,)) for c in conversations]
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        server.kill()
        stop.set()
        for thread in threads:
            thread.join()
        server.stop()
        self.assertTrue(all(acknowledged.values()))
        server.start()
        for conversation in conversations:
            _, _, stored = server.get(conversation)
            said = [e["text"] for e in stored["transcript"] if e["role"] == "user"]
            # Every acknowledged turn is there; at most the one in flight more.
            self.assertEqual(said[:len(acknowledged[conversation["id"]])],
                             acknowledged[conversation["id"]])
            self.assertLessEqual(len(said) - len(acknowledged[conversation["id"]]), 1)
        server.stop()
        check = sqlite3.connect(os.path.join(server.data, "trustcoach.db"))
        self.assertEqual(check.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        check.close()

    def test_idle_conversations_expire_and_leave_the_database(self):
        server = self.serve(*OPEN, "--idle-expiry", "1", "--sweep-interval", "1")
        created = server.create()
        server.say(created, SECRET)
        time.sleep(1.5)
        self.assertProblem(server.get(created), 404)
        database = sqlite3.connect(os.path.join(server.data, "trustcoach.db"))
        count = "SELECT (SELECT COUNT(*) FROM conversations) + (SELECT COUNT(*) FROM transcript)"
        deadline = time.time() + 15
        while database.execute(count).fetchone()[0] != 0:
            self.assertLess(time.time(), deadline, "the sweep did not delete the rows")
            time.sleep(0.2)
        database.close()

    def test_delete_removes_the_rows(self):
        server = self.serve(*OPEN)
        created = server.create()
        server.say(created, SECRET)
        status, _, _ = server.request("DELETE", "/v1/conversations/" + created["id"],
                                      headers=bearer(created))
        self.assertEqual(status, 204)
        database = sqlite3.connect(os.path.join(server.data, "trustcoach.db"))
        self.assertEqual(database.execute(
            "SELECT COUNT(*) FROM transcript WHERE conversation_id = ?",
            (created["id"],)).fetchone()[0], 0)
        database.close()


class DocsTest(HttpTestCase):
    def test_curl_examples_in_api_md_run(self):
        if shutil.which("curl") is None:
            self.skipTest("curl is not installed")
        server = self.serve(*OPEN, "--store", "memory")
        with open(os.path.join(SOURCE_DIR, "docs", "api.md")) as doc:
            blocks = re.findall(r"```sh\n(.*?)```", doc.read(), re.S)
        examples = [b for b in blocks if "curl " in b and "# expect " in b]
        self.assertGreaterEqual(len(examples), 5)
        created = server.create()
        env = dict(os.environ, ID=created["id"], TOKEN=created["token"])
        for block in examples:
            expected = int(re.search(r"# expect (\d+)", block).group(1))
            script = block.replace("http://localhost:8080", "http://127.0.0.1:%d" % server.port)
            script = script.replace("curl ", "curl -sS -w '\\n%{http_code}' ", 1)
            with self.subTest(example=block.strip().splitlines()[-1][:70]):
                result = subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                                        env=env, timeout=30)
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertEqual(int(result.stdout.strip().splitlines()[-1]), expected,
                                 result.stdout)


if __name__ == "__main__":
    BINARY, argv = binary_and_argv()
    unittest.main(argv=argv, verbosity=2)
