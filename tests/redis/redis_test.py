#!/usr/bin/env python3
"""Several `trustcoach serve` instances sharing one Redis, directly and behind
nginx with docs/nginx.conf.sample. Starts its own redis-server (and nginx) on
free 127.0.0.1 ports and stops everything it started, also on failure.
Standard library only.

  python3 tests/redis/redis_test.py --binary build/bin/trustcoach [unittest args]
"""

import concurrent.futures
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "tools"))
import server_process as server  # noqa: E402
from server_process import TIME_SCALE, bearer, binary_and_argv  # noqa: E402

BINARY = None
SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NGINX_SAMPLE = os.path.join(SOURCE_DIR, "docs", "nginx.conf.sample")
# Per-conversation limits low enough to meet in a test; the per-address
# limit keeps its defaults (10/s, burst 40). Both are shared through Redis.
# nginx connects from 127.0.0.1, the tests from other 127.0.0.0/8 addresses.
CONVERSATION_BURST = 12
CLIENT_BURST, CLIENT_RATE = 40, 10
# Live conversations per address, counted in Redis for every instance: above
# the client burst, so that the rate limit test meets the rate limit first.
CLIENT_CAP = 50
INSTANCE_ARGS = ["--trusted-proxy", "127.0.0.1",
                 "--max-conversations-per-client", str(CLIENT_CAP),
                 "--conversation-rate", "0.01",
                 "--conversation-burst", str(CONVERSATION_BURST), "--threads", "4",
                 "--access-log", "off"]


# The address requests come from: each test uses one of its own in
# 127.0.0.0/8, so that the per-address limit counts each test apart, as it
# would count different people (behind nginx too, through X-Forwarded-For).
SOURCE = {"address": "127.0.0.1"}
NEXT_SOURCE = iter(range(2, 250))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, what):
    deadline = time.time() + timeout * TIME_SCALE
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def request(port, method, path, body=None, headers=None):
    """From this test's source address; returns (status, headers with
    lower-case names, parsed or raw body)."""
    return server.request(port, method, path, body, headers, timeout=20 * TIME_SCALE,
                          source=SOURCE["address"])


def create(port):
    status, _, body = request(port, "POST", "/v1/conversations", {})
    assert status == 201, (status, body)
    return body


def say(port, conversation, text):
    return request(port, "POST", "/v1/conversations/%s/messages" % conversation["id"],
                   {"text": text}, bearer(conversation))


def fetch(port, conversation):
    return request(port, "GET", "/v1/conversations/" + conversation["id"],
                   headers=bearer(conversation))


def said(transcript):
    return [entry["text"] for entry in transcript if entry["role"] == "user"]


# Every child is killed when this test process dies, even by SIGKILL.
class Redis(server.Process):
    def __init__(self, folder, *extra):
        self.port = free_port()
        super().__init__(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                          "--save", "", "--appendonly", "no", "--dir", folder] + list(extra),
                         folder, "redis", die_with_parent=True)

    def start(self):
        super().start()
        wait_until(self.accepts, 10, "redis-server: " + self.logs())
        return self

    def accepts(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def url(self):
        return "redis://127.0.0.1:%d" % self.port


class Instance(server.Server):
    """`trustcoach serve` on `redis_url`; started again, on its old port."""

    def __init__(self, folder, name, redis_url):
        super().__init__(BINARY, "--store", redis_url,
                         "--dialogs", os.path.join(SOURCE_DIR, "dialogs"), *INSTANCE_ARGS,
                         folder=folder, name=name, die_with_parent=True)


class Cluster:
    """redis-server and `count` instances on it."""

    def __init__(self, count=3, redis_args=()):
        self.folder = tempfile.mkdtemp(prefix="trustcoach-redis-")
        os.chmod(self.folder, 0o755)  # nginx workers may run as nobody
        self.redis = Redis(self.folder, *redis_args)
        self.instances = []
        self.count = count

    def start(self):
        try:
            self.redis.start()
            for i in range(self.count):
                self.instances.append(
                    Instance(self.folder, "instance%d" % i, self.redis.url()).start())
        except BaseException:
            self.stop()
            raise
        return self

    def ports(self):
        return [instance.port for instance in self.instances]

    def stop(self):
        for instance in self.instances:
            instance.stop()
        self.redis.stop()

    def logs(self):
        return "\n".join("== %s\n%s" % (p.name, p.logs())
                         for p in [self.redis] + self.instances)

    def cleanup(self):
        shutil.rmtree(self.folder, ignore_errors=True)


class Nginx(server.Process):
    """nginx in the foreground with the sample config, its upstream ports
    and listen port replaced, inside a minimal nginx.conf of its own."""

    def __init__(self, folder, upstream_ports):
        self.port = free_port()
        with open(NGINX_SAMPLE, encoding="utf-8") as sample:
            site = sample.read()
        ports = iter(upstream_ports)
        site, count = re.subn(r"server 127\.0\.0\.1:\d+",
                              lambda _: "server 127.0.0.1:%d" % next(ports), site)
        assert count == len(upstream_ports), "the sample must list %d servers" % len(upstream_ports)
        site, count = re.subn(r"listen \d+;", "listen 127.0.0.1:%d;" % self.port, site)
        assert count == 1, "the sample must have one listen line"
        prefix = os.path.join(folder, "nginx")
        site = site.replace("/var/log/nginx/", prefix + "/")
        os.makedirs(prefix, exist_ok=True)
        os.chmod(prefix, 0o777)
        with open(os.path.join(prefix, "site.conf"), "w", encoding="utf-8") as out:
            out.write(site)
        temp = "".join("  %s_temp_path %s/%s;\n" % (name, prefix, name)
                       for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        config = os.path.join(prefix, "nginx.conf")
        with open(config, "w", encoding="utf-8") as out:
            out.write("daemon off;\nworker_processes 1;\npid %s/nginx.pid;\n"
                      "error_log %s/error.log warn;\nevents { worker_connections 256; }\n"
                      "http {\n%s  include %s/site.conf;\n}\n" % (prefix, prefix, temp, prefix))
        super().__init__([shutil.which("nginx") or "/usr/sbin/nginx", "-p", prefix, "-c", config,
                          "-e", prefix + "/error.log"], folder, "nginx", die_with_parent=True)
        self.error_log = prefix + "/error.log"

    def start(self):
        super().start()

        def up():
            if not self.alive():
                raise AssertionError("nginx exited: " + self.logs())
            try:
                return request(self.port, "GET", "/healthz")[0] == 200
            except OSError:
                return False
        wait_until(up, 20, "nginx")
        return self


class ScaleOutScenarios:
    """The scenarios, run on `self.cluster` through `self.port_for(i)`: the
    i-th instance directly, or always nginx. Mixed into a TestCase."""

    redis_args = ()

    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(redis_args=cls.redis_args).start()

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop()
        cls.cluster.cleanup()

    def run(self, result=None):
        # On failure, show what the servers said.
        failures = len(result.failures) + len(result.errors) if result else 0
        outcome = super().run(result)
        if result and len(result.failures) + len(result.errors) > failures:
            sys.stderr.write(self.cluster.logs()[-20000:])
        return outcome

    def setUp(self):
        SOURCE["address"] = "127.0.0.%d" % next(NEXT_SOURCE)

    def port_for(self, i):
        raise NotImplementedError

    def assertProblem(self, response, status):
        code, headers, body = response
        self.assertEqual(code, status, body)
        self.assertEqual(headers.get("content-type"), "application/problem+json", body)
        self.assertEqual(body["status"], status)
        for field in ("type", "title", "detail"):
            self.assertTrue(body[field])
        return body

    def converse(self, turns, first=0):
        """A conversation whose turns move from instance to instance; checks
        that every turn continues from the one before."""
        conversation = create(self.port_for(first))
        for turn in range(1, turns + 1):
            status, _, reply = say(self.port_for(first + turn), conversation,
                                   "turn %d: my partner lied to me" % turn)
            self.assertEqual(status, 200, reply)
            self.assertEqual(reply["turn"], turn)
        return conversation

    def assertTranscript(self, conversation, turns):
        for i in range(len(self.cluster.instances)):
            status, _, body = fetch(self.port_for(i), conversation)
            self.assertEqual(status, 200, body)
            self.assertEqual(body["state"]["turns"], turns)
            self.assertEqual(len(said(body["transcript"])), turns)

    def test_alternating_instances_continue_the_conversation(self):
        conversation = self.converse(6)
        self.assertTranscript(conversation, 6)

    def test_parallel_turns_across_instances_lose_nothing(self):
        conversation = create(self.port_for(0))
        texts = ["parallel %d: I feel betrayed" % i for i in range(9)]
        with concurrent.futures.ThreadPoolExecutor(len(texts)) as pool:
            replies = list(pool.map(lambda item: say(self.port_for(item[0]), conversation, item[1]),
                                    enumerate(texts)))
        for status, _, reply in replies:
            self.assertEqual(status, 200, reply)
        # Each turn saw the one before it: turn numbers 1..9, each once.
        self.assertEqual(sorted(reply["turn"] for _, _, reply in replies), list(range(1, 10)))
        _, _, body = fetch(self.port_for(1), conversation)
        self.assertEqual(sorted(said(body["transcript"])), sorted(texts))
        self.assertEqual(body["state"]["turns"], len(texts))

    def test_deleted_through_one_instance_is_gone_on_all(self):
        conversation = self.converse(2)
        status, _, _ = request(self.port_for(2), "DELETE",
                               "/v1/conversations/" + conversation["id"],
                               headers=bearer(conversation))
        self.assertEqual(status, 204)
        for i in range(len(self.cluster.instances)):
            self.assertProblem(fetch(self.port_for(i), conversation), 404)
            self.assertProblem(say(self.port_for(i), conversation, "hello?"), 404)

    def test_conversation_rate_limit_holds_across_instances(self):
        conversation = create(self.port_for(0))
        for turn in range(CONVERSATION_BURST):
            status, _, reply = say(self.port_for(turn), conversation, "again")
            self.assertEqual(status, 200, reply)
        for i in range(len(self.cluster.instances)):
            response = say(self.port_for(i), conversation, "once more")
            self.assertProblem(response, 429)
            self.assertGreaterEqual(int(response[1]["retry-after"]), 1)

    def test_client_rate_limit_holds_across_instances(self):
        start = time.time()
        responses = [request(self.port_for(i), "POST", "/v1/conversations", {})
                     for i in range(CLIENT_BURST + 20)]
        elapsed = time.time() - start
        statuses = [response[0] for response in responses]
        allowed = statuses.count(201)
        # Separate buckets per instance would have allowed all of them.
        self.assertGreaterEqual(allowed, CLIENT_BURST)
        self.assertLessEqual(allowed, CLIENT_BURST + int(CLIENT_RATE * elapsed) + 1)
        self.assertEqual(set(statuses), {201, 429})
        refused = self.assertProblem(responses[statuses.index(429)], 429)
        self.assertEqual(refused["detail"], "too many requests from this address")

    def test_conversation_cap_per_address_holds_across_instances(self):
        # Before: each instance counted its own, so three allowed 3 x CLIENT_CAP.
        created = []
        deadline = time.time() + 30 * TIME_SCALE
        i = 0
        while time.time() < deadline:
            response = request(self.port_for(i), "POST", "/v1/conversations", {})
            i += 1
            if response[0] == 201:
                created.append(response[2])
                continue
            body = self.assertProblem(response, 429)
            if body["detail"] == "too many requests from this address":
                time.sleep(0.1)  # the client rate limit: wait for a token
                continue
            self.assertIn("too many open conversations", body["detail"])
            # Unanswered ones expire after 10 minutes.
            self.assertTrue(500 <= int(response[1]["retry-after"]) <= 600, response[1])
            break
        self.assertEqual(len(created), CLIENT_CAP)
        # Deleting one through any instance frees a place on every instance
        # (both retried while the client rate limit refuses them).
        wait_until(lambda: request(self.port_for(i), "DELETE",
                                   "/v1/conversations/" + created[0]["id"],
                                   headers=bearer(created[0]))[0] == 204, 5, "the delete")
        wait_until(lambda: request(self.port_for(i + 1), "POST", "/v1/conversations",
                                   {})[0] == 201, 5, "a place to come free")

    def restart_redis(self, conversation):
        """Kills Redis: 503s everywhere; starts it again: ready by itself."""
        self.cluster.redis.stop(signal.SIGKILL)
        for i in range(len(self.cluster.instances)):
            self.assertProblem(request(self.port_for(i), "GET", "/readyz"), 503)
            response = request(self.port_for(i), "POST", "/v1/conversations", {})
            self.assertProblem(response, 503)
            self.assertEqual(response[1].get("retry-after"), "1")
            self.assertProblem(say(self.port_for(i), conversation, "are you there?"), 503)
        status, _, _ = request(self.port_for(0), "GET", "/healthz")
        self.assertEqual(status, 200)
        self.cluster.redis.start()
        for i in range(len(self.cluster.instances)):
            wait_until(lambda: request(self.port_for(i), "GET", "/readyz")[0] == 200, 10,
                       "instance %d to be ready again" % i)
        self.converse(2)


class DirectTest(ScaleOutScenarios, unittest.TestCase):
    """Each request picks its instance: no affinity at all."""

    def port_for(self, i):
        return self.cluster.instances[i % len(self.cluster.instances)].port

    def test_killed_instance_mid_conversation_others_finish_it(self):
        victim = Instance(self.cluster.folder, "victim", self.cluster.redis.url()).start()
        try:
            conversation = create(victim.port)
            self.assertEqual(say(victim.port, conversation, "my partner lied")[0], 200)
            victim.stop(signal.SIGKILL)
            for turn in range(2, 5):
                status, _, reply = say(self.port_for(turn), conversation, "and then?")
                self.assertEqual(status, 200, reply)
                self.assertEqual(reply["turn"], turn)
        finally:
            victim.stop()
        self.assertTranscript(conversation, 4)

    def test_starting_with_unreachable_redis_is_a_clear_error(self):
        instance = Instance(self.cluster.folder, "unreachable",
                            "redis://127.0.0.1:%d" % free_port())
        with self.assertRaises(AssertionError):
            instance.start()
        code = instance.stop()
        self.assertEqual(code, 1)
        self.assertRegex(instance.logs(since_start=True),
                         r"trustcoach serve: redis redis://127\.0\.0\.1:\d+/0: cannot connect: "
                         r"Connection refused")

    def test_zy_hung_redis_gives_503_then_recovers(self):
        conversation = self.converse(1)
        self.cluster.redis.process.send_signal(signal.SIGSTOP)
        try:
            start = time.time()
            self.assertProblem(request(self.port_for(0), "GET", "/readyz"), 503)
            self.assertProblem(say(self.port_for(0), conversation, "hello?"), 503)
            # One command timeout (2 s), then failing fast.
            self.assertLess(time.time() - start, 5 * TIME_SCALE)
        finally:
            self.cluster.redis.process.send_signal(signal.SIGCONT)
        for i in range(len(self.cluster.instances)):
            wait_until(lambda: request(self.port_for(i), "GET", "/readyz")[0] == 200, 10,
                       "instance %d to be ready again" % i)
        status, _, reply = say(self.port_for(1), conversation, "still here?")
        self.assertEqual(status, 200, reply)
        self.assertEqual(reply["turn"], 2)

    def test_zz_redis_restart_gives_503_then_recovers(self):
        # Without persistence (as in this cluster) Redis forgets every
        # conversation: the old one is 404 afterwards.
        conversation = self.converse(1)
        self.restart_redis(conversation)
        self.assertProblem(fetch(self.port_for(0), conversation), 404)


class NginxTest(ScaleOutScenarios, unittest.TestCase):
    """Every request through nginx with docs/nginx.conf.sample; Redis keeps
    an append-only file, as docs/deploy.md advises."""

    redis_args = ("--appendonly", "yes", "--appendfsync", "always")

    @classmethod
    def setUpClass(cls):
        if not shutil.which("nginx") and not os.path.exists("/usr/sbin/nginx"):
            raise unittest.SkipTest("nginx is not installed (scripts/setup.sh installs it)")
        super().setUpClass()
        try:
            cls.nginx = Nginx(cls.cluster.folder, cls.cluster.ports()).start()
        except BaseException:
            cls.cluster.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.nginx.stop()
        super().tearDownClass()

    def port_for(self, i):
        return self.nginx.port

    def test_requests_spread_over_every_instance(self):
        self.converse(6)
        with open(os.path.join(self.cluster.folder, "nginx", "trustcoach.access.log")) as log:
            upstreams = set(map(int, re.findall(r"upstream=127\.0\.0\.1:(\d+)", log.read())))
        self.assertLessEqual(set(self.cluster.ports()), upstreams)

    def test_killed_instance_mid_conversation_others_finish_it(self):
        conversation = self.converse(2)
        victim = self.cluster.instances[1]
        victim.stop(signal.SIGKILL)
        try:
            for turn in range(3, 9):
                status, _, reply = say(self.nginx.port, conversation, "and then?")
                self.assertEqual(status, 200, reply)
                self.assertEqual(reply["turn"], turn)
        finally:
            victim.start()  # on its old port, for the other tests
        self.assertTranscript(conversation, 8)

    def test_zz_redis_restart_gives_503_then_recovers(self):
        # With the append-only file the conversation survives the restart.
        conversation = self.converse(1)
        self.restart_redis(conversation)
        status, _, reply = say(self.nginx.port, conversation, "still here?")
        self.assertEqual(status, 200, reply)
        self.assertEqual(reply["turn"], 2)


    def test_zzz_no_instance_left_is_still_problem_json(self):
        for instance in self.cluster.instances:
            instance.stop(signal.SIGKILL)
        response = request(self.nginx.port, "POST", "/v1/conversations", {})
        self.assertProblem(response, 503)
        self.assertEqual(response[1].get("retry-after"), "5")


if __name__ == "__main__":
    BINARY, argv = binary_and_argv()
    if not shutil.which("redis-server"):
        sys.exit("redis-server is not installed (scripts/setup.sh installs it)")
    unittest.main(argv=argv, verbosity=2)
