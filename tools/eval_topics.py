#!/usr/bin/env python3
"""How well the coach recognises real questions: runs `trustcoach analyze` over
CounselChat questions (title + body, one per line) and reports how many got a
meaningful topic rather than the fallback, and how well the topics fit the
labelled ones.

    python3 tools/eval_topics.py [--binary build/bin/trustcoach]
        [--data tests/data/counselchat_dev.jsonl] [--dialogs DIR]
        [--min-meaningful 90] [--min-fit 0] [--show-misses] [--show-misfits]
        [--cases tests/data/topic_cases.jsonl --min-cases 90]

--cases also checks short chat messages written for this project, each with the
topics that would be a right answer: the topic of the reply must be one of them.

Exits 1 when a --min-* threshold is not met. Standard library only.
"""
import argparse
import collections
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Which CounselChat tags each coach topic fits. A question fits when any of its
# topics maps to any of its tags. Safety kinds count as topics too.
FITS = {
    "infidelity": {"relationships", "intimacy", "marriage", "relationship-dissolution"},
    "lying": {"relationships", "intimacy", "marriage", "family-conflict", "social-relationships"},
    "secrets": {"relationships", "intimacy", "marriage", "family-conflict"},
    "trust": {"relationships", "intimacy", "marriage", "social-relationships"},
    "repair": {"relationships", "intimacy", "marriage", "self-esteem"},
    "insecurity": {"relationships", "intimacy", "self-esteem", "anxiety"},
    "jealousy": {"relationships", "intimacy", "self-esteem", "anger-management", "social-relationships"},
    "past_experiences": {"relationships", "trauma", "intimacy", "family-conflict"},
    "feelings": {"depression", "anxiety", "self-esteem", "anger-management"},
    "anger": {"anger-management", "family-conflict", "relationships"},
    "betrayal": {"relationships", "intimacy", "marriage", "social-relationships"},
    "sadness": {"depression", "grief-and-loss", "relationship-dissolution", "relationships"},
    "anxiety": {"anxiety", "stress", "depression"},
    "shame": {"self-esteem", "depression", "human-sexuality"},
    "guilt": {"self-esteem", "depression", "family-conflict"},
    "confusion": {"relationships", "intimacy", "relationship-dissolution", "anxiety", "depression"},
    "numbness": {"depression", "trauma", "anxiety"},
    "checking": {"anxiety", "relationships", "intimacy"},
    "communication": {"relationships", "marriage", "intimacy", "family-conflict", "social-relationships"},
    "small_actions": {"relationships", "marriage", "behavioral-change"},
    "underlying": {"anxiety", "trauma", "self-esteem", "depression"},
    "trauma": {"trauma", "domestic-violence", "anxiety"},
    "self_esteem": {"self-esteem", "depression"},
    "low_mood": {"depression"},
    "therapy": {"counseling-fundamentals", "depression", "anxiety", "marriage", "relationships"},
    "summary": set(),
    "progress": {"relationships", "marriage", "behavioral-change"},
    "telling": {"relationships", "marriage", "intimacy", "family-conflict"},
    "control": {"domestic-violence", "relationships", "family-conflict", "marriage"},
    "disclosure": {"relationships", "depression", "self-esteem", "marriage"},
    "self_blame": {"self-esteem", "depression", "relationships", "marriage"},
    "stay_or_leave": {"relationships", "marriage", "relationship-dissolution", "intimacy"},
    "breakup": {"relationship-dissolution", "relationships", "depression"},
    "family": {"family-conflict", "parenting", "children-adolescents"},
    "friendship": {"social-relationships", "relationships"},
    "intimacy": {"intimacy", "human-sexuality"},
    "addiction": {"addiction", "substance-abuse"},
    "grief": {"grief-and-loss", "depression"},
    "identity": {"lgbtq", "human-sexuality"},
    "relationship": {"relationships", "marriage", "intimacy", "relationship-dissolution"},
    "safety": {"domestic-violence", "self-harm"},
    "abuse": {"domestic-violence", "family-conflict", "trauma"},
    "violence": {"domestic-violence", "anger-management"},
    "danger_now": {"domestic-violence"},
    "sexual_violence": {"domestic-violence", "trauma"},
    "child_safety": {"domestic-violence", "family-conflict"},
    "suicide": {"self-harm", "depression"},
    "self_harm": {"self-harm", "depression"},
}
CRISIS_TAGS = {"domestic-violence", "self-harm"}


def default_binary():
    for candidate in ("build/bin/trustcoach", "build-content/bin/trustcoach"):
        path = os.path.join(ROOT, candidate)
        if os.path.exists(path):
            return path
    return os.path.join(ROOT, "build/bin/trustcoach")


def default_data():
    own = os.path.join(ROOT, "tests/data/counselchat_dev.jsonl")
    return own if os.path.exists(own) else "/work/shared/data/counselchat_dev.jsonl"


def line_of(row):
    text = row["title"].strip()
    body = row.get("text", "").strip()
    if body and body != text:
        text = text + " " + body
    return " ".join(text.split())  # newlines and runs of spaces -> one space


def check_cases(args, command):
    """Short messages with the topics a right reply may have."""
    with open(args.cases, encoding="utf-8") as f:
        cases = [json.loads(line) for line in f if line.strip()]
    done = subprocess.run(command, input="".join(c["text"] + "\n" for c in cases),
                          capture_output=True, text=True)
    results = [json.loads(line) for line in done.stdout.splitlines()]
    right = 0
    wrong = []
    for case, out in zip(cases, results):
        topics = [t for t in out["topics"] if t]
        got = topics[0] if topics and not out.get("fallback") else "(fallback)"
        if got in case["topics"]:
            right += 1
        else:
            wrong.append((case, got))
    share = 100.0 * right / len(cases) if cases else 0.0
    print("\nOwn chat cases: %d of %d get a right topic (%.1f%%) (%s)" % (
        right, len(cases), share, os.path.relpath(args.cases, ROOT)))
    for case, got in wrong:
        print("  got %-16s want %-30s %s" % (got, "/".join(case["topics"]), case["text"]))
    if share < args.min_cases:
        print("\nFAIL: own cases %.1f%% < %.1f%%" % (share, args.min_cases))
        return False
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=default_binary())
    parser.add_argument("--data", default=default_data())
    parser.add_argument("--dialogs")
    parser.add_argument("--min-meaningful", type=float, default=0.0)
    parser.add_argument("--min-fit", type=float, default=0.0)
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--show-misfits", action="store_true")
    parser.add_argument("--cases", help="JSON lines {text, topics}: expected topics")
    parser.add_argument("--min-cases", type=float, default=0.0)
    args = parser.parse_args()

    with open(args.data, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    command = [args.binary, "analyze"]
    if args.dialogs:
        command += ["--dialogs", args.dialogs]
    stdin = "".join(line_of(r) + "\n" for r in rows)
    done = subprocess.run(command, input=stdin, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        return 2
    results = [json.loads(line) for line in done.stdout.splitlines()]
    if len(results) != len(rows):
        print("analyze printed %d lines for %d inputs" % (len(results), len(rows)))
        return 2

    meaningful = fit = first_fit = coaching = 0
    crisis_total = crisis_caught = 0
    by_tag = collections.defaultdict(lambda: [0, 0, 0])  # total, meaningful, fit
    topic_counts = collections.Counter()
    misses, misfits = [], []
    for row, out in zip(rows, results):
        topics = [t for t in out["topics"] if t]
        if out["safety"] != "none":
            topics = [out["safety"]] + topics
        is_meaningful = bool(topics) and (not out.get("fallback") or out["safety"] != "none")
        tags = set(row["topics"])
        fits = any(FITS.get(t, set()) & tags for t in topics)
        meaningful += is_meaningful
        fit += fits
        first_fit += bool(topics) and bool(FITS.get(topics[0], set()) & tags)
        coaching += out["safety"] == "none" and bool(topics) and not out.get("fallback")
        stats = by_tag[row["topic"]]
        stats[0] += 1
        stats[1] += is_meaningful
        stats[2] += fits
        if topics:
            topic_counts[topics[0]] += 1
        if row["topic"] in CRISIS_TAGS:
            crisis_total += 1
            crisis_caught += out["safety"] != "none"
        if not is_meaningful:
            misses.append((row, out))
        elif not fits:
            misfits.append((row, out, topics))

    n = len(rows)
    pct = lambda a, b: 100.0 * a / b if b else 0.0
    print("CounselChat questions: %d (%s)" % (n, os.path.relpath(args.data, ROOT)))
    print("  meaningful topic: %d (%.1f%%)   fallback or no topic: %d" % (meaningful, pct(meaningful, n), n - meaningful))
    print("  topic fits a labelled tag: %d (%.1f%% of all, %.1f%% of recognised)" % (fit, pct(fit, n), pct(fit, meaningful)))
    print("  the reply's own topic fits: %d (%.1f%%)" % (first_fit, pct(first_fit, n)))
    print("  answered by a coaching flow: %d, by the safety screen: %d" % (coaching, n - coaching - (n - meaningful)))
    print("  crisis-tagged questions with a safety answer: %d of %d" % (crisis_caught, crisis_total))
    print("\n  %-26s %6s %11s %6s" % ("labelled topic", "count", "meaningful", "fits"))
    for tag, (total, m, f) in sorted(by_tag.items(), key=lambda kv: -kv[1][0]):
        print("  %-26s %6d %10.0f%% %5.0f%%" % (tag, total, pct(m, total), pct(f, total)))
    print("\n  first topic given: " + ", ".join("%s %d" % kv for kv in topic_counts.most_common()))
    if args.show_misses:
        print("\nNo meaningful topic:")
        for row, out in misses:
            print("  [%s] %s" % (row["topic"], line_of(row)[:160]))
    if args.show_misfits:
        print("\nTopic does not fit the labels:")
        for row, out, topics in misfits:
            print("  %s vs %s: %s" % (topics, row["topics"], line_of(row)[:120]))

    ok = True
    if args.cases:
        ok = check_cases(args, command) and ok
    if pct(meaningful, n) < args.min_meaningful:
        print("\nFAIL: meaningful %.1f%% < %.1f%%" % (pct(meaningful, n), args.min_meaningful))
        ok = False
    if pct(fit, n) < args.min_fit:
        print("\nFAIL: fit %.1f%% < %.1f%%" % (pct(fit, n), args.min_fit))
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
