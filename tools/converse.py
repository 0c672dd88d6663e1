#!/usr/bin/env python3
"""Run multi-turn conversations against trustcoach over its HTTP API and check what each reply does.

    ../shared/tools/converse.py [--binary build/bin/trustcoach | --url http://HOST:PORT]
                                [--show all|failures|none] [--transcripts DIR] [--min RATE]
                                [--keys KEY,...] [--dialogs DIR] FILE.jsonl...

Each line of a FILE is one conversation:

    {"id": "dev-007", "persona": "...", "region": "US",
     "turns": [{"user": "my wife cheated on me", "expect": {"not_fallback": true,
                                                         "reply_any": ["cheat|affair|betray"]}}, ...]}

Expectations (all optional; a turn with none is sent but not scored):
    safety       "none" | "check_in" | "crisis" | "flagged" (check_in or crisis) — the reply's safety.level
    kind_any     [kinds]    the reply's safety.kind is one of these (e.g. ["suicide", "self_harm"])
    resources    true|false the reply carries helplines (non-empty "resources")
    not_fallback true       the engine understood the message: the reply to ?explain=1 has an
                            explain.action, and it is neither "fallback" nor "menu"
    reply_any    [regex]    at least one matches the reply's text (all its messages, case-insensitive)
    reply_none   [regex]    none matches the reply's text
Every reply is also checked against a short list of blaming phrases.

With --binary (the default, build/bin/trustcoach), the script starts its own server on a free loopback
port with the memory store and no rate limits, and stops it at the end. It prints one line per
conversation, the failed checks, and a last line:
    turns N/M met (P%); conversations K/C fully met
--min 0.95 makes it exit 1 below that share of turns met. --keys safety,kind_any,resources scores
only those expectation keys (turns without any of them are sent but not scored), and then skips the
blaming-phrase check: the safety part of the conversations, as CI checks it (tests/eval/tests.cmake).

Copied from the project's shared tools (../shared/tools/converse.py); --keys is our addition.
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

BLAMING = [r"\byou should have\b", r"\byou shouldn'?t have\b", r"\boverreact", r"\bget over it\b",
           r"\bparanoid\b", r"\bhysterical\b", r"\bman up\b", r"\bwhat did you expect\b",
           r"\byou deserved (it|this)\b", r"\bjust leave\b", r"\bit'?s not a big deal\b",
           r"\bcommit(ted)? suicide\b"]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def call(base, method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        text = e.read().decode("utf-8", "replace")
        try:
            return e.code, json.loads(text)
        except ValueError:
            return e.code, text


def start_server(binary, dialogs=None):
    port = free_port()
    log = open(os.path.join(os.environ.get("TMPDIR", "/tmp"), f"converse-server-{port}.log"), "w")
    proc = subprocess.Popen([binary, "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--store", "memory", "--conversation-rate", "0", "--client-rate", "0"]
                            + (["--dialogs", dialogs] if dialogs else []),
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 20
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"converse: the server exited at start; see {log.name}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1):
                return proc, base
        except Exception:
            time.sleep(0.1)
    proc.kill()
    sys.exit("converse: the server did not answer /healthz within 20 s")


def reply_text(answer):
    if not isinstance(answer, dict):
        return ""
    return "\n".join(m.get("text", "") for m in answer.get("messages", []) if isinstance(m, dict))


def check(expect, status, answer, blaming=True):
    """Return the list of failed checks for one turn."""
    if status != 200 or not isinstance(answer, dict):
        return [f"HTTP {status}"]
    bad = []
    text = reply_text(answer)
    low = text.lower()
    safety = answer.get("safety") or {}
    level, kind = safety.get("level", "none"), safety.get("kind", "none")
    want = expect.get("safety")
    if want == "flagged":
        if level not in ("check_in", "crisis"):
            bad.append(f"safety {level}, wanted check_in or crisis")
    elif want is not None and level != want:
        bad.append(f"safety {level}, wanted {want}")
    if "kind_any" in expect and kind not in expect["kind_any"]:
        bad.append(f"safety kind {kind}, wanted one of {expect['kind_any']}")
    if "resources" in expect and bool(answer.get("resources")) != bool(expect["resources"]):
        bad.append("helplines missing" if expect["resources"] else "helplines shown")
    if expect.get("not_fallback"):
        action = (answer.get("explain") or {}).get("action")
        if action is None:
            bad.append("no explain.action in the reply to ?explain=1")
        elif action in ("fallback", "menu"):
            bad.append(f"not understood ({action})")
    if "reply_any" in expect and not any(re.search(p, low) for p in expect["reply_any"]):
        bad.append(f"reply matches none of {expect['reply_any']}")
    for p in expect.get("reply_none", []):
        if re.search(p, low):
            bad.append(f"reply matches /{p}/")
    for p in BLAMING if blaming else []:
        if re.search(p, low):
            bad.append(f"blaming wording /{p}/")
    return bad


def run(base, conv, show, transcripts, keys=None):
    status, created = call(base, "POST", "/v1/conversations",
                           {"region": conv["region"]} if conv.get("region") else {})
    if status != 201 or not isinstance(created, dict):
        return 0, 0, [f"create answered HTTP {status}"], []
    cid, token = created["id"], created.get("token")
    lines = ["coach: " + reply_text(created)]
    met = scored = 0
    failures = []
    for i, turn in enumerate(conv["turns"], 1):
        status, answer = call(base, "POST", f"/v1/conversations/{cid}/messages?explain=1",
                              {"text": turn["user"]}, token)
        lines.append("you: " + turn["user"])
        lines.append("coach: " + reply_text(answer).replace("\n", "\n       "))
        expect = turn.get("expect") or {}
        if keys is not None:
            expect = {k: v for k, v in expect.items() if k in keys}
        if not expect:
            continue
        scored += 1
        bad = check(expect, status, answer, blaming=keys is None)
        if bad:
            failures.append(f"  turn {i}: {turn['user'][:70]!r}\n    -> {reply_text(answer)[:160]!r}\n"
                            + "".join(f"    ! {b}\n" for b in bad))
        else:
            met += 1
    call(base, "DELETE", f"/v1/conversations/{cid}", token=token)
    if transcripts:
        os.makedirs(transcripts, exist_ok=True)
        with open(os.path.join(transcripts, f"{conv['id']}.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
    return met, scored, failures, lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--binary", default="build/bin/trustcoach")
    ap.add_argument("--url")
    ap.add_argument("--show", choices=["all", "failures", "none"], default="failures")
    ap.add_argument("--transcripts")
    ap.add_argument("--min", type=float)
    ap.add_argument("--dialogs", help="dialog folder for the server --binary starts")
    ap.add_argument("--keys", help="comma-separated expectation keys to score (default: all)")
    args = ap.parse_args()
    convs = []
    for path in args.files:
        with open(path) as f:
            convs += [json.loads(l) for l in f if l.strip()]
    proc = None
    base = args.url.rstrip("/") if args.url else None
    if not base:
        proc, base = start_server(args.binary, args.dialogs)
    total_met = total_scored = full = 0
    try:
        for conv in convs:
            keys = set(args.keys.split(",")) if args.keys else None
            met, scored, failures, lines = run(base, conv, args.show, args.transcripts, keys)
            total_met += met
            total_scored += scored
            full += not failures
            if args.show != "none":
                print(f"{conv['id']}: {met}/{scored}" + ("" if failures else " ok"))
                if args.show == "all":
                    print("\n".join("    " + l for l in lines))
                for f in failures:
                    print(f, end="")
    finally:
        if proc:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    rate = total_met / total_scored if total_scored else 0.0
    print(f"turns {total_met}/{total_scored} met ({rate:.1%}); conversations {full}/{len(convs)} fully met")
    if args.min is not None and rate < args.min:
        sys.exit(1)


if __name__ == "__main__":
    main()
