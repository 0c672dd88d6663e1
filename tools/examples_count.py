#!/usr/bin/env python3
"""Lists the intents with fewer than --min `examples` (default 3), one per line as
FILE<TAB>INTENT<TAB>COUNT<TAB>SCOPE, and a last line with the total per file. Exits 1 when
any intent is below --min, so CI can keep the figure. `trustcoach lint` checks that each
example reaches its intent; this only counts them.

    tools/examples_count.py [--min 3] [--quiet] [DIALOGS_DIR]
"""
import argparse
import collections
import glob
import json
import os
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dialogs", nargs="?", default="dialogs")
    parser.add_argument("--min", type=int, default=3)
    parser.add_argument("--quiet", action="store_true", help="only the last line")
    args = parser.parse_args()
    total, below, per_file = 0, 0, collections.Counter()
    for path in sorted(glob.glob(os.path.join(args.dialogs, "flows", "*.json"))):
        for intent in json.load(open(path, encoding="utf-8")).get("intents", []):
            total += 1
            count = len(intent.get("examples", []))
            if count < args.min:
                below += 1
                per_file[os.path.basename(path)] += 1
                if not args.quiet:
                    scope = intent.get("scope", "global")
                    print(f"{os.path.basename(path)}\t{intent['id']}\t{count}\t{scope}")
    files = ", ".join(f"{name} {n}" for name, n in sorted(per_file.items()))
    print(f"{below} of {total} intents have fewer than {args.min} examples" + (f" ({files})" if files else ""))
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
