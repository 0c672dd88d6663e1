"""The real `trustcoach serve` (or any other child process) for the Python
suites and scripts/soak.py: start with arguments and environment, wait for "listening on
http://HOST:PORT" (on stdout or stderr) and take the port from it, keep stdout and stderr in log
files, stop with SIGTERM, kill with SIGKILL, wait. Plus plain HTTP against it.
Standard library only; every wait is bounded.

A script imports it by its own path, so that it works from a ctest run in
any build folder and from a fresh clone without PYTHONPATH (from tests/X/):

  sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
      os.path.abspath(__file__)))), "tools"))
  from server_process import Server  # noqa: E402
"""

import argparse
import ctypes
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HOST = "127.0.0.1"
# Deadlines stretch by this factor for slow builds: .ci/run sets it for
# ThreadSanitizer.
TIME_SCALE = float(os.environ.get("TRUSTCOACH_TEST_TIME_SCALE", "1"))


def binary_and_argv():
    """Takes `--binary PATH` off the command line. Returns the binary's
    absolute path and the rest of sys.argv, for unittest.main(argv=...)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args, rest = parser.parse_known_args()
    return os.path.abspath(args.binary), [sys.argv[0]] + rest


def _die_with_parent():
    """In the child: killed when the thread that started it ends, even by
    SIGKILL of the whole test (PR_SET_PDEATHSIG)."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)


class Process:
    """One child process at a time, its stdout and stderr appended to
    FOLDER/NAME.stdout.log and FOLDER/NAME.stderr.log across restarts.
    With `die_with_parent` it is killed when the starting thread dies; start
    it from the main thread then."""

    def __init__(self, args, folder, name, env=None, die_with_parent=False):
        self.args = list(args)
        self.folder = folder
        self.name = name
        self.env = env
        self.die_with_parent = die_with_parent
        self.stdout_path = os.path.join(folder, name + ".stdout.log")
        self.stderr_path = os.path.join(folder, name + ".stderr.log")
        self.process = None
        self._offsets = (0, 0)

    def command(self):
        """The command line of the next start()."""
        return self.args

    def start(self):
        env = dict(os.environ)
        env.update(self.env or {})
        with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
            self._offsets = (out.tell(), err.tell())
            self.process = subprocess.Popen(
                self.command(), stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env,
                preexec_fn=_die_with_parent if self.die_with_parent else None)
        return self

    def logs(self, since_start=False):
        """Everything written to stdout, then to stderr; with `since_start`
        only what the latest start() wrote."""
        text = ""
        for path, offset in zip((self.stdout_path, self.stderr_path), self._offsets):
            if os.path.exists(path):
                with open(path, encoding="utf-8", errors="replace") as log:
                    log.seek(offset if since_start else 0)
                    text += log.read()
        return text

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def wait(self, timeout=None):
        """The exit code (negative for a signal); TimeoutExpired after `timeout`."""
        return self.process.wait(timeout=timeout)

    def stop(self, sig=signal.SIGTERM, timeout=20):
        """Sends `sig` and returns the exit code, or the code it already had
        (None if it never started). Raises AssertionError, after a SIGKILL,
        if it does not exit within `timeout` seconds."""
        if not self.alive():
            return self.process.returncode if self.process else None
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("%s did not stop on %s: %s" % (
                self.name, signal.Signals(sig).name, self.logs()[-4000:]))

    def kill(self):
        """SIGKILL (if still running), then reaps it; returns the exit code."""
        if self.alive():
            self.process.kill()
        return self.process.wait() if self.process else None


class Server(Process):
    """`trustcoach serve --host 127.0.0.1 --data-dir FOLDER` with `args`, on a
    free port the first time and on the same port when started again. FOLDER
    is a new temporary folder unless given; cleanup() removes only that one.
    Subclasses may change the two timeouts (in seconds)."""

    start_timeout = 20 * TIME_SCALE
    request_timeout = 20

    def __init__(self, binary, *args, folder=None, name="server", env=None,
                 die_with_parent=False):
        self.own_folder = folder is None
        self.data = folder or tempfile.mkdtemp(prefix="trustcoach-serve-")
        super().__init__(args, self.data, name, env=env, die_with_parent=die_with_parent)
        self.binary = binary
        self.port = None

    def command(self):
        # Every suite talks from 127.0.0.1 and keeps more conversations and
        # connections than one address may have: those caps are off unless a
        # test sets them.
        cap = []
        for flag in ("--max-conversations-per-client", "--max-connections-per-address"):
            if flag not in self.args:
                cap += [flag, "0"]
        return [self.binary, "serve", "--host", HOST, "--port", str(self.port or 0),
                "--data-dir", self.data] + cap + self.args

    def start(self):
        """Returns self once the server listens, with `port` set. Raises
        AssertionError if it exits first or does not listen in time (then
        it is killed)."""
        super().start()
        deadline = time.time() + self.start_timeout
        while time.time() < deadline:
            # On stderr when a log writes JSON lines to stdout, else on stdout.
            found = re.findall(r"listening on http://[^:]+:(\d+)", self.logs(since_start=True))
            if found:
                self.port = int(found[-1])
                return self
            if not self.alive():
                raise AssertionError("%s exited: %s" % (self.name, self.logs(since_start=True)))
            time.sleep(0.05)
        self.kill()
        raise AssertionError("%s did not start: %s" % (self.name, self.logs(since_start=True)))

    def cleanup(self):
        """Kills the server if it still runs; removes its folder if it made it."""
        self.kill()
        if self.own_folder:
            shutil.rmtree(self.data, ignore_errors=True)

    # --- The process as /proc sees it --------------------------------------

    def rss_kb(self):
        with open("/proc/%d/status" % self.process.pid) as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def threads(self):
        return len(os.listdir("/proc/%d/task" % self.process.pid))

    def open_fds(self):
        return len(os.listdir("/proc/%d/fd" % self.process.pid))

    # --- HTTP ---------------------------------------------------------------

    def request(self, method, path, body=None, headers=None, raw=None, timeout=None):
        return request(self.port, method, path, body, headers, raw,
                       timeout=timeout or self.request_timeout)

    def create(self, body=None, headers=None):
        """POST /v1/conversations, which must answer 201; returns the body."""
        status, _, created = self.request("POST", "/v1/conversations",
                                          body if body is not None else {}, headers)
        assert status == 201, (status, created)
        return created

    def say(self, conversation, text, query="", timeout=None):
        return self.request("POST", "/v1/conversations/%s/messages%s" % (conversation["id"], query),
                            {"text": text}, bearer(conversation), timeout=timeout)

    def get(self, conversation, token=None):
        """GET of the conversation with every page of its transcript: the
        first page's answer with the later pages' entries appended (and no
        `next`)."""
        path = "/v1/conversations/" + conversation["id"]
        status, headers, body = self.request("GET", path, headers=bearer(conversation, token))
        while status == 200 and isinstance(body, dict) and "next" in body:
            more_status, _, more = self.request("GET", "%s?from=%d" % (path, body.pop("next")),
                                                headers=bearer(conversation, token))
            if more_status != 200:
                return more_status, headers, more
            body["transcript"].extend(more["transcript"])
            if "next" in more:
                body["next"] = more["next"]
        return status, headers, body


def request(port, method, path, body=None, headers=None, raw=None, timeout=20, source=None):
    """One request on a new connection to HOST:`port`, from address `source`
    if given. `body` is sent as JSON, else `raw` as it is. Returns (status,
    headers with lower-case names, parsed JSON or raw body)."""
    headers = dict(headers or {})
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout,
                                            source_address=(source, 0) if source else None)
    try:
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        response_headers = {k.lower(): v for k, v in response.getheaders()}
    finally:
        connection.close()
    if "json" in response_headers.get("content-type", "") and payload:
        payload = json.loads(payload)
    return response.status, response_headers, payload


def bearer(conversation, token=None):
    """The Authorization header of `conversation`, or with another `token`."""
    return {"Authorization": "Bearer " + (token or conversation["token"])}
