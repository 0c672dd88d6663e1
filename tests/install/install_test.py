#!/usr/bin/env python3
"""The shipped forms of trustcoach, run with no source tree to lean on:

1. `cmake --install BUILD --prefix P`: P/bin/trustcoach finds its dialogs and
   web files in P/share/trustcoach, lints them, chats, serves the widget and
   a conversation over HTTP; the systemd unit passes `systemd-analyze verify`
   where systemd-analyze exists.
2. `cpack` builds the .deb; its control file names the Debian runtime
   libraries, and `dpkg -x` into a scratch root gives a binary that lints and
   chats the same way.

TRUSTCOACH_* variables are removed from the environment and every run checks
the folder the binary reports (lint's and serve's first line) and the files
it serves, so a fallback to the source tree fails the test; the prefix is
also moved after install and still works. Seconds, not minutes: no chroot
or container.

Usage: install_test.py --build BUILD --source SOURCE --binary BUILD/bin/trustcoach
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "tools"))
from server_process import Server  # noqa: E402

ARGS = None
ENV = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTCOACH_")}
ENV["TRUSTCOACH_TEST_TIME_SCALE"] = os.environ.get("TRUSTCOACH_TEST_TIME_SCALE", "1")


def run(args, stdin="", cwd=None):
    return subprocess.run(args, input=stdin.encode(), capture_output=True, timeout=300,
                          env=ENV, cwd=cwd)


class InstalledTree:
    """Checks shared by the prefix install and the unpacked package."""

    def check_runs_from(self, root, binary):
        data = os.path.join(root, "share", "trustcoach")
        lint = run([binary, "lint"], cwd="/")
        self.assertEqual(lint.returncode, 0, lint.stderr)
        self.assertIn("lint: %s ok" % os.path.join(data, "dialogs"), lint.stdout.decode())

        chat = run([binary, "chat", "--seed", "1"], cwd="/",
                   stdin="my partner lied to me about money\nthank you\n")
        self.assertEqual(chat.returncode, 0, chat.stderr)
        self.assertIn("automated coach", chat.stdout.decode())
        self.assertGreaterEqual(chat.stdout.decode().count("coach:"), 3)

        version = run([binary, "--version"])
        self.assertRegex(version.stdout.decode(), r"^trustcoach \d+\.\d+\.\d+\n$")

        # The shipped sample configuration, as the systemd unit uses it
        # (the harness's flags move the port and data folder).
        server = Server(binary, "--config", os.path.join(data, "trustcoach.conf"),
                        "--store", "memory", env=ENV)
        try:
            server.start()
            self.assertIn("dialogs %s, web %s)" % (os.path.join(data, "dialogs"),
                                                   os.path.join(data, "web")), server.logs())
            status, headers, page = server.request("GET", "/widget.js")
            self.assertEqual(status, 200)
            with open(os.path.join(data, "web", "widget.js"), "rb") as shipped:
                self.assertEqual(page, shipped.read())
            conversation = server.create()
            status, _, reply = server.say(conversation, "my husband cheated on me")
            self.assertEqual(status, 200, reply)
            self.assertTrue(reply["messages"])
            status, _, health = server.request("GET", "/healthz")
            self.assertEqual(status, 200)
            self.assertEqual(health["version"], version.stdout.decode().split()[1])
        finally:
            server.stop()
            server.cleanup()


class InstallTest(InstalledTree, unittest.TestCase):
    def setUp(self):
        self.scratch = tempfile.mkdtemp(prefix="trustcoach-install-")

    def tearDown(self):
        shutil.rmtree(self.scratch, ignore_errors=True)

    def test_prefix_install_runs_without_the_source_tree(self):
        prefix = os.path.join(self.scratch, "prefix")
        out = run(["cmake", "--install", ARGS.build, "--prefix", prefix])
        self.assertEqual(out.returncode, 0, out.stderr)
        for path in ("bin/trustcoach", "share/trustcoach/dialogs/engine.json",
                     "share/trustcoach/web/widget.js", "share/trustcoach/trustcoach.conf",
                     "share/doc/trustcoach/LICENSE", "share/doc/trustcoach/NOTICE",
                     "share/doc/trustcoach/copyright", "lib/systemd/system/trustcoach.service"):
            self.assertTrue(os.path.exists(os.path.join(prefix, path)), path)
        binary = os.path.join(prefix, "bin", "trustcoach")
        self.check_runs_from(prefix, binary)

        # A moved prefix still works: nothing absolute is baked in.
        moved = os.path.join(self.scratch, "elsewhere")
        os.rename(prefix, moved)
        lint = run([os.path.join(moved, "bin", "trustcoach"), "lint"])
        self.assertIn("lint: %s ok" % os.path.join(moved, "share/trustcoach/dialogs"),
                      lint.stdout.decode())

        unit = os.path.join(moved, "lib/systemd/system/trustcoach.service")
        with open(unit) as f:
            text = f.read()
        self.assertIn("ExecStart=%s/bin/trustcoach serve" % prefix, text)
        for setting in ("DynamicUser=yes", "StateDirectory=trustcoach",
                        "ExecReload=/bin/kill -HUP $MAINPID", "ProtectSystem=strict",
                        "NoNewPrivileges=yes"):
            self.assertIn(setting, text)

    def test_systemd_unit_verifies(self):
        analyze = shutil.which("systemd-analyze")
        if analyze is None:
            self.skipTest("systemd-analyze is not installed")
        prefix = os.path.join(self.scratch, "prefix")
        self.assertEqual(run(["cmake", "--install", ARGS.build, "--prefix", prefix]).returncode, 0)
        unit = os.path.join(prefix, "lib/systemd/system/trustcoach.service")
        out = run([analyze, "verify", "--man=no", unit])
        output = (out.stdout + out.stderr).decode()
        # Outside a booted system (a container) verify cannot load its own
        # units; only messages about this unit count.
        ours = [line for line in output.splitlines() if "trustcoach.service" in line]
        self.assertEqual(ours, [], output)
        # systemd's own exposure score of the hardening, 0 (none) to 10:
        # 1.2 when written; fail if it ever rises above 2.
        out = run([analyze, "security", "--offline=true", "--threshold=20", unit])
        self.assertEqual(out.returncode, 0, (out.stdout + out.stderr).decode()[-600:])

    def test_deb_package_unpacks_and_runs(self):
        if shutil.which("dpkg-deb") is None or shutil.which("cpack") is None:
            self.skipTest("dpkg-deb or cpack is missing")
        out = run(["cpack", "--config", os.path.join(ARGS.build, "CPackConfig.cmake"),
                   "-B", self.scratch])
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        debs = glob.glob(os.path.join(self.scratch, "trustcoach_*.deb"))
        self.assertEqual(len(debs), 1, os.listdir(self.scratch))
        control = run(["dpkg-deb", "--field", debs[0], "Package", "Version", "Depends"])
        fields = control.stdout.decode()
        self.assertIn("Package: trustcoach", fields)
        version = run([ARGS.binary, "--version"]).stdout.decode().split()[1]
        self.assertIn("Version: " + version, fields)
        depends = re.search(r"Depends: (.*)", fields).group(1)
        for library in ("libre2-", "libsqlite3-0", "libssl3", "libstdc++6", "libc6"):
            self.assertIn(library, depends)
        # Every dependency is a package this Debian has (installed here).
        for name in re.findall(r"(?:^|, )([a-z0-9.+-]+)", depends):
            status = run(["dpkg-query", "-W", "-f=${Status}", name]).stdout.decode()
            self.assertIn("installed", status, name)
        scripts = run(["dpkg-deb", "--info", debs[0]]).stdout.decode()
        for script in ("postinst", "prerm", "postrm"):
            self.assertIn(script, scripts)

        root = os.path.join(self.scratch, "root")
        out = run(["dpkg-deb", "-x", debs[0], root])
        self.assertEqual(out.returncode, 0, out.stderr)
        for path in ("usr/bin/trustcoach", "usr/share/trustcoach/dialogs/engine.json",
                     "usr/share/trustcoach/web/widget.js", "usr/share/doc/trustcoach/copyright",
                     "usr/lib/systemd/system/trustcoach.service"):
            self.assertTrue(os.path.exists(os.path.join(root, path)), path)
        with open(os.path.join(root, "usr/lib/systemd/system/trustcoach.service")) as f:
            self.assertIn("ExecStart=/usr/bin/trustcoach serve", f.read())
        self.check_runs_from(os.path.join(root, "usr"),
                             os.path.join(root, "usr", "bin", "trustcoach"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--binary", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest)
