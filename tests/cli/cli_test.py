#!/usr/bin/env python3
"""End-to-end checks of the trustcoach command line (issue 2's "done when").

Usage: cli_test.py TRUSTCOACH_BINARY DIALOGS_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

BINARY = DIALOGS = None


def run(*args, stdin=""):
    return subprocess.run([BINARY, *args], input=stdin.encode(), capture_output=True, timeout=120)


class CliTest(unittest.TestCase):
    def test_chat_answers_piped_input(self):
        out = run("chat", "--dialogs", DIALOGS, "--seed", "1",
                  stdin="my partner lied to me\nthank you\n")
        self.assertEqual(out.returncode, 0, out.stderr)
        text = out.stdout.decode()
        self.assertIn("automated coach", text)
        self.assertGreaterEqual(text.count("coach:"), 3)

    def test_chat_explain_prints_why(self):
        out = run("chat", "--dialogs", DIALOGS, "--seed", "1", "--explain",
                  stdin="my husband cheated on me\n")
        why = [l for l in out.stdout.decode().splitlines() if l.startswith("why: ")]
        self.assertEqual(len(why), 2)  # the opening, then the turn
        self.assertEqual(json.loads(why[0][5:])["action"], "start")
        explain = json.loads(why[1][5:])
        self.assertEqual(explain["input"], "my husband cheated on me")
        self.assertEqual(explain["safety"]["kind"], "none")
        self.assertIsNotNone(explain["chosen"])

    def test_analyze_prints_one_json_object_per_line_for_1000_lines(self):
        samples = ["my wife cheated on me", "I feel so angry", "", "\u00e9\u00e9 \U0001F494",
                   "I want to kill myself", "what is couples therapy", "asdf qwer", "x" * 5000,
                   "\u0645\u0631\u062d\u0628\u0627", "he read my messages without asking"]
        lines = [samples[i % len(samples)] + ("" if i % 3 else " " + str(i)) for i in range(1000)]
        out = run("analyze", "--dialogs", DIALOGS, stdin="\n".join(lines) + "\n")
        self.assertEqual(out.returncode, 0, out.stderr)
        rows = out.stdout.decode().splitlines()
        self.assertEqual(len(rows), 1000)
        for line, row in zip(lines, rows):
            obj = json.loads(row)
            self.assertEqual(obj["text"], line)
            self.assertIsInstance(obj["topics"], list)
            self.assertIn("intent", obj)
            self.assertIsInstance(obj["safety"], str)
            self.assertTrue(obj["reply"])
        crisis = json.loads(rows[4])
        self.assertEqual(crisis["safety"], "suicide")

    def test_lint_accepts_shipped_dialogs(self):
        out = run("lint", DIALOGS)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("ok", out.stdout.decode())

    def test_lint_names_file_and_problem_of_a_broken_dialog(self):
        with tempfile.TemporaryDirectory() as tmp:
            broken = os.path.join(tmp, "dialogs")
            shutil.copytree(DIALOGS, broken)
            with open(os.path.join(broken, "flows", "zz_broken.json"), "w") as f:
                json.dump({"flows": [{"id": "broken", "start": "a",
                                      "nodes": {"a": {"say": "hi", "next": "nowhere"}}}]}, f)
            out = run("lint", broken)
            self.assertEqual(out.returncode, 1)
            err = out.stderr.decode()
            self.assertIn("zz_broken.json: /flows/0/nodes/a/next: unknown target node 'nowhere'", err)

    def test_graph_prints_dot_and_mermaid(self):
        dot = run("graph", "--dialogs", DIALOGS)
        self.assertEqual(dot.returncode, 0)
        self.assertTrue(dot.stdout.decode().startswith("digraph trustcoach {"))
        mermaid = run("graph", "--dialogs", DIALOGS, "--mermaid")
        self.assertTrue(mermaid.stdout.decode().startswith("flowchart LR"))

    def test_chat_refuses_a_seed_that_is_not_a_number(self):
        for bad in ("abc", "12x", "-1", ""):
            out = run("chat", "--dialogs", DIALOGS, "--seed", bad, stdin="hello\n")
            self.assertEqual(out.returncode, 2, bad)
            self.assertIn("--seed", out.stderr.decode(), bad)
            self.assertEqual(out.stdout, b"", bad)  # nothing said before the error

    def test_chat_reads_its_keys_from_flag_environment_and_config_file(self):
        def chat(*args, env=None):
            return subprocess.run([BINARY, "chat", *args], input=b"hello\n", capture_output=True,
                                  timeout=120, env={**os.environ, **(env or {})})

        with tempfile.TemporaryDirectory() as tmp:
            config = os.path.join(tmp, "trustcoach.conf")
            with open(config, "w") as f:
                f.write("dialogs = %s\nexplain = yes\nport = 8080  # serve's, ignored\n" % DIALOGS)
            why = lambda out: out.stdout.decode().count("\nwhy: ")
            self.assertEqual(why(chat("--config", config, "--seed", "1")), 2)
            self.assertEqual(why(chat("--seed", "1", env={"TRUSTCOACH_CONFIG": config})), 2)
            off = chat("--seed", "1", env={"TRUSTCOACH_CONFIG": config, "TRUSTCOACH_EXPLAIN": "0"})
            self.assertEqual(off.returncode, 0, off.stderr)
            self.assertEqual(why(off), 0)
            self.assertEqual(why(chat("--seed", "1", "--explain",
                                      env={"TRUSTCOACH_CONFIG": config,
                                           "TRUSTCOACH_EXPLAIN": "0"})), 2)
            # The same seed from the environment or the flag says the same.
            by_flag = chat("--dialogs", DIALOGS, "--seed", "5")
            by_env = chat("--dialogs", DIALOGS, env={"TRUSTCOACH_SEED": "5"})
            self.assertEqual(by_flag.stdout, by_env.stdout)

            bad = chat("--dialogs", DIALOGS, env={"TRUSTCOACH_SEED": "abc"})
            self.assertEqual(bad.returncode, 2)
            self.assertIn("seed: expected an integer", bad.stderr.decode())
            self.assertIn("TRUSTCOACH_SEED", bad.stderr.decode())
            with open(config, "a") as f:
                f.write("sed = 3\n")
            bad = chat("--config", config)
            self.assertEqual(bad.returncode, 2)
            self.assertIn("'sed = 3'", bad.stderr.decode())
            self.assertEqual(bad.stdout, b"")

    def test_serve_refuses_a_bad_port_from_the_environment_naming_it(self):
        out = subprocess.run([BINARY, "serve"], capture_output=True, timeout=60,
                             env={**os.environ, "TRUSTCOACH_PORT": "12x"})
        self.assertEqual(out.returncode, 2)
        self.assertIn("port: expected an integer from 0 to 65535, got '12x' (TRUSTCOACH_PORT)",
                      out.stderr.decode())

    def test_every_command_has_help_and_bad_usage_fails(self):
        for command in ("chat", "lint", "test", "analyze", "graph"):
            out = run(command, "--help")
            self.assertEqual(out.returncode, 0, command)
            self.assertIn("Usage: trustcoach " + command, out.stdout.decode())
        self.assertNotEqual(run("nonsense").returncode, 0)
        self.assertEqual(run("--version").returncode, 0)
        self.assertNotEqual(run("test").returncode, 0)


if __name__ == "__main__":
    BINARY, DIALOGS = sys.argv[1], sys.argv[2]
    unittest.main(argv=sys.argv[:1], verbosity=2)
