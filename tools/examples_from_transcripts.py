#!/usr/bin/env python3
"""Proposes intent `examples` from the transcript tests: every turn that expects an intent
gives a line for that intent, said at the node the previous turn expected (`at`), or as a
first message. Prints a JSON object {intent id: [examples...]} to paste or merge; with --write
it adds up to --per-intent new examples to each intent in the dialog files, keeping existing
ones. `trustcoach lint` then checks every example, so run it afterwards and drop what fails.

    tools/examples_from_transcripts.py [--dialogs dialogs] [--write] [--per-intent 3] tests/transcripts
"""
import argparse
import collections
import glob
import json
import os


def harvest(paths):
    found = collections.defaultdict(list)
    for path in paths:
        doc = json.load(open(path))
        previous = (doc.get("start") or {}).get("node")
        for turn in doc.get("turns", []):
            expect = turn.get("expect", {})
            intent = expect.get("intent")
            if intent:
                example = {"text": turn["say"]}
                if previous:
                    example["at"] = previous
                if example not in found[intent]:
                    found[intent].append(example)
            previous = expect.get("node")
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dialogs", default="dialogs")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--per-intent", type=int, default=3)
    parser.add_argument("transcripts", nargs="+")
    args = parser.parse_args()
    paths = []
    for t in args.transcripts:
        paths += sorted(glob.glob(os.path.join(t, "*.json"))) if os.path.isdir(t) else [t]
    found = harvest(paths)
    if not args.write:
        print(json.dumps(found, indent=1, ensure_ascii=False))
        return
    for path in sorted(glob.glob(os.path.join(args.dialogs, "flows", "*.json"))):
        doc = json.load(open(path))
        changed = False
        for intent in doc.get("intents", []):
            have = intent.setdefault("examples", [])
            for example in found.get(intent["id"], []):
                if len(have) >= args.per_intent:
                    break
                if example not in have and example["text"] not in have:
                    have.append(example["text"] if "at" not in example else example)
                    changed = True
            if not have:
                del intent["examples"]
        if changed:
            with open(path, "w") as out:
                json.dump(doc, out, indent=2, ensure_ascii=False)
                out.write("\n")


if __name__ == "__main__":
    main()
