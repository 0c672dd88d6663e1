"""Helpers of the hostile test on top of tools/server_process.py: the
server as it runs it, and raw sockets (standard library only). Every wait is
bounded."""

import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "tools"))
import server_process as server  # noqa: E402
from server_process import HOST, bearer, binary_and_argv  # noqa: E402

__all__ = ["HOST", "Server", "bearer", "binary_and_argv", "read_all", "status_of"]


class Server(server.Server):
    """tools/server_process.py's Server without an access log, with the
    deadlines these tests were written for, and raw sockets."""

    start_timeout = 30
    request_timeout = 15

    def __init__(self, binary, *args, data=None):
        super().__init__(binary, "--access-log", "off", *args, folder=data)

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
