#!/usr/bin/env python3
"""Measure the crisis screen on labelled lines through `trustcoach analyze`.

    tools/eval_crisis.py --binary build/bin/trustcoach [--dialogs DIR]
                         [--min-crisis N] [--max-false N] [--show] FILE.jsonl

Each line of FILE is {"text": ..., "kind": "suicide" | ... | "none"}, or, as in
the Suicide Risk Lexicon's file, "label" in place of "kind" (every lexicon
line is a crisis line). A crisis
line is met when `analyze` gives safety_level "crisis", or, when the line
says "level": "check_in" (passive wishes that call for a gentle question
at least), a check-in or a crisis; a "none" line is a
false alarm when it gives "crisis". Check-ins on "none" lines are counted
apart. Prints the figures (and, with --show, every miss); exits 1 when fewer
than --min-crisis crisis lines are met or more than --max-false false alarms.
"""
import argparse
import json
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file")
    ap.add_argument("--binary", default="build/bin/trustcoach")
    ap.add_argument("--dialogs")
    ap.add_argument("--min-crisis", type=int)
    ap.add_argument("--max-false", type=int)
    ap.add_argument("--show", action="store_true")
    args = ap.parse_args()
    with open(args.file) as f:
        lines = [json.loads(l) for l in f if l.strip()]
    cmd = [args.binary, "analyze"]
    if args.dialogs:
        cmd += ["--dialogs", args.dialogs]
    text = "".join(l["text"].replace("\n", " ") + "\n" for l in lines)
    out = subprocess.run(cmd, input=text, capture_output=True, text=True, check=True).stdout
    results = [json.loads(l) for l in out.splitlines() if l.strip()]
    if len(results) != len(lines):
        sys.exit(f"eval_crisis: {len(lines)} lines in, {len(results)} results out")
    crisis = met = kind_met = false = check_ins = 0
    benign = 0
    for line, r in zip(lines, results):
        level = r["safety_level"]
        kind = line.get("kind", line.get("label"))
        if kind is None:
            sys.exit(f"eval_crisis: a line has neither 'kind' nor 'label': {line.get('id', line['text'])}")
        if kind == "none":
            benign += 1
            if level == "crisis":
                false += 1
                if args.show:
                    print(f"FALSE ALARM ({r['safety']}): {line['text']}")
            elif level == "check_in":
                check_ins += 1
                if args.show:
                    print(f"check-in: {line['text']}")
        else:
            crisis += 1
            if level == "crisis" or (line.get("level") == "check_in" and level == "check_in"):
                met += 1
                kind_met += r["safety"] == kind
            elif args.show:
                print(f"MISS ({kind}, {level}): {line['text']}")
    print(f"crisis {met}/{crisis} (same kind {kind_met}); false alarms {false}/{benign}; "
          f"check-ins on benign {check_ins}/{benign}")
    if args.min_crisis is not None and met < args.min_crisis:
        sys.exit(1)
    if args.max_false is not None and false > args.max_false:
        sys.exit(1)


if __name__ == "__main__":
    main()
