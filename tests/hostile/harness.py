"""Shared helpers for the hostile, crash and soak tests: one `trustcoach
serve` process on a free loopback port, and plain HTTP against it (standard
library only). Every wait is bounded; stop() and kill() reap the process."""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

HOST = "127.0.0.1"


class Server:
    """One `trustcoach serve` with its own data folder (removed by cleanup())."""

    def __init__(self, binary, *args, data=None):
        self.binary = binary
        self.args = list(args)
        self.data = data or tempfile.mkdtemp(prefix="trustcoach-robust-")
        self.process = None
        self.port = None
        self.log_path = os.path.join(self.data, "server.log")

    def start(self, timeout=30):
        args = [self.binary, "serve", "--host", HOST, "--port", str(self.port or 0),
                "--data-dir", self.data, "--access-log", "off"] + self.args
        log = open(self.log_path, "ab")
        offset = log.tell()
        self.process = subprocess.Popen(args, stdout=log, stderr=log,
                                        stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.time() + timeout
        while time.time() < deadline:
            with open(self.log_path, encoding="utf-8", errors="replace") as out:
                out.seek(offset)
                found = re.findall(r"listening on http://[^:]+:(\d+)", out.read())
            if found:
                self.port = int(found[-1])
                return self
            if self.process.poll() is not None:
                raise AssertionError("server exited: " + self.logs())
            time.sleep(0.05)
        self.kill()
        raise AssertionError("server did not start: " + self.logs())

    def logs(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as log:
            return log.read()[-4000:]

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout=20):
        """SIGTERM, then SIGKILL if it does not drain in time."""
        if not self.alive():
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError("server did not stop on SIGTERM: " + self.logs())

    def kill(self):
        if self.alive():
            self.process.kill()
        if self.process:
            self.process.wait()

    def cleanup(self):
        self.kill()
        shutil.rmtree(self.data, ignore_errors=True)

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

    # --- HTTP -------------------------------------------------------------

    def request(self, method, path, body=None, headers=None, raw=None, timeout=15):
        """Returns (status, headers with lower-case names, parsed or raw body)."""
        headers = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        connection = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
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

    def create(self, region=None):
        status, _, created = self.request(
            "POST", "/v1/conversations", {"region": region} if region else {})
        assert status == 201, (status, created)
        return created

    def say(self, conversation, text, timeout=15):
        return self.request("POST", "/v1/conversations/%s/messages" % conversation["id"],
                            {"text": text}, bearer(conversation), timeout=timeout)

    def get(self, conversation):
        return self.request("GET", "/v1/conversations/" + conversation["id"],
                            headers=bearer(conversation))

    def raw(self, data, timeout=10, shutdown=False):
        """Sends `data` on a new connection and returns every byte answered
        until the server closes it or `timeout` passes. With `shutdown` the
        client half-closes after sending; httplib then does not answer."""
        with socket.create_connection((HOST, self.port), timeout=timeout) as sock:
            try:
                sock.sendall(data)
                if shutdown:
                    sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # the server may close early; read what it said
            return read_all(sock, timeout)


def read_all(sock, timeout):
    chunks = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        sock.settimeout(max(0.05, deadline - time.time()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def status_of(response_bytes):
    """The status code of a raw HTTP response, or None."""
    match = re.match(rb"HTTP/1\.[01] (\d{3})", response_bytes)
    return int(match.group(1)) if match else None


def bearer(conversation):
    return {"Authorization": "Bearer " + conversation["token"]}
