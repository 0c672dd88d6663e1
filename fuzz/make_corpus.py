#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into fuzz/corpus/<target>/,
from the shipped dialogs, the transcript tests and the test data. Each file
is named by the SHA-1 of its content, as libFuzzer names its own.

  fuzz/make_corpus.py          # rewrite every corpus from the sources

Input formats are those the targets document: engine_turn takes a control
byte then turns separated by newlines, dialog_loader a file-choice byte then
the file, api_request a function byte then the body or path.
"""

import glob
import hashlib
import json
import os
import shutil

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
MAX_TEXTS = 120  # per data file: enough variety, a small repository

# Inputs the data files do not have: encodings, control bytes, lengths.
TRICKY = [
    b"",
    b" ",
    b"\x00",
    b"my husband cheated\x00 on me",
    b"\xff\xfe\xfd invalid \xc3\x28 utf-8 \xe2\x82",
    b"\xed\xa0\x80 surrogate \xf4\x90\x80\x80 past U+10FFFF",
    b"\xc0\xaf overlong",
    "Fiancé’s “lies” — I don’t trust him…".encode(),
    "😢😢😢 he lied again 💔".encode(),
    "ΑΒΓ Привет ЁЖ".encode(),
    "\u200b\u200d\ufeff zero width".encode(),
    b"a" * 2001,
    "é".encode() * 1001,
    b"u r 2 much, i cant", 
    b"'sorry' ''' '",
    b"i want to end it all",
    b"help\n\nmenu\nback\nstop",
]


def write(target, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(folder, name), "wb") as out:
        out.write(data)


def data_texts():
    texts = []
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "data", "*.jsonl"))):
        with open(path, encoding="utf-8") as lines:
            rows = [json.loads(line) for line in lines if line.strip()]
        step = max(1, len(rows) // MAX_TEXTS)
        texts += [row["text"][:1500] for row in rows[::step] if row.get("text")]
    return texts


def transcripts():
    """Each transcript test as its list of turns."""
    conversations = []
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "transcripts", "**", "*.json"),
                             recursive=True)):
        with open(path, encoding="utf-8") as source:
            doc = json.load(source)
        for test in doc if isinstance(doc, list) else [doc]:
            turns = [t.get("say", "") for t in test.get("turns", []) if isinstance(t, dict)]
            if turns:
                conversations.append(turns)
    return conversations


def dialog_files():
    root = os.path.join(ROOT, "dialogs")
    paths = glob.glob(os.path.join(root, "**", "*.json"), recursive=True)
    return sorted(os.path.relpath(p, root) for p in paths), root


def quick_replies():
    replies = []
    files, root = dialog_files()
    for rel in files:
        with open(os.path.join(root, rel), encoding="utf-8") as source:
            doc = json.load(source)
        for flow in doc.get("flows", []) if isinstance(doc, dict) else []:
            nodes = flow.get("nodes", {})
            for node in nodes.values() if isinstance(nodes, dict) else nodes:
                replies += node.get("quick_replies", [])
    return sorted(set(replies))


def interrupt_and_phrase_seeds(test_root, test_files):
    """dialog_loader seeds for `interrupts` (intents that take over a node
    with `capture`) and the `phrases` of substitutions.json: valid sets whose
    turns reach a free-text question, and each mistake the loader rejects."""
    added = len(test_files)
    flows_index = test_files.index(os.path.join("flows", "test.json"))
    subs_index = test_files.index("substitutions.json")
    with open(os.path.join(test_root, "flows", "test.json"), encoding="utf-8") as source:
        flows = json.load(source)
    with open(os.path.join(test_root, "substitutions.json"), encoding="utf-8") as source:
        subs = json.load(source)

    # The fuzzer's turns ("my partner lied to me", then "help") meet a
    # free-text question: the topic intent is held and the text captured,
    # then an interrupting "help" takes over; a variant names the topic in
    # `on`, one lets nothing but a local catch-all through.
    def with_capture(on, extra_intents):
        doc = json.loads(json.dumps(flows))
        doc["intents"] += extra_intents
        welcome = next(f for f in doc["flows"] if f["id"] == "welcome")
        welcome["nodes"]["hello"].update({"on": on, "else": "asked", "capture": "opening"})
        welcome["nodes"]["asked"] = {"say": ["What happened then?", "And then?"],
                                     "else": "therapy.open", "capture": "then"}
        return json.dumps(doc).encode()
    help_intent = {"id": "help", "start": "menu", "interrupts": True, "priority": 30,
                   "patterns": ["^help\\W*$"]}
    catch_all = {"id": "any", "scope": "local", "priority": -10,
                 "patterns": ["^(?P<opening>.{1,240})"]}
    for doc in [with_capture({}, [help_intent]),
                with_capture({"hurt": "hurt"}, [help_intent]),
                with_capture({"any": "asked"}, [help_intent, catch_all]),
                with_capture({}, [dict(help_intent, interrupts=False)])]:
        write("dialog_loader", bytes([flows_index]) + doc)

    # `interrupts` the loader rejects, or accepts, in an added flow file.
    def added_flow(intent, node=None):
        return json.dumps({"intents": [intent], "flows": [{
            "id": "zz", "start": "a", "nodes": {"a": node or {
                "say": ["Who could you call?", "Who might help?"],
                "else": "@return", "capture": "who"}}}]}).encode()
    base = {"id": "zz_stop", "start": "zz", "patterns": ["^stop$"]}
    for intent in [dict(base, interrupts=True),
                   dict(base, interrupts=True, scope="local"),
                   dict(base, interrupts=True, scope=["zz.a"]),
                   {"id": "zz_stop", "interrupts": True, "patterns": ["^stop$"]},
                   dict(base, interrupts="yes"), dict(base, interrupts=1),
                   dict(base, interrupts=None), dict(base, interrupts=False),
                   dict(base, interrupts=[True])]:
        write("dialog_loader", bytes([added]) + added_flow(intent))

    # `phrases`: longest first, a phrase whose value starts another, keys
    # outside ASCII; then each key or value the loader rejects.
    words = subs.get("words", {})
    good = dict(subs.get("phrases", {}))
    good.update({"he's been seeing": "he has been seeing", "she'd been": "she had been",
                 "he's got": "he has got", "fiancé's been": "fiance has been",
                 "i'm gonna": "i am going to", "he is been": "he's been",
                 "24 7": "all the time"})
    write("dialog_loader", bytes([subs_index]) + json.dumps({"words": words, "phrases": good},
                                                            ensure_ascii=False).encode())
    for phrases in [{"he's": "he is"}, {"He's been": "he has been"}, {"he's  been": "x"},
                    {"'s been": "has been"}, {"he's been ": "x"}, {" he's been": "x"},
                    {"": "x"}, {"he's been": 5}, {"he's been": None}, {"a b": ""},
                    ["he's been"], "he's been", None, {"he's\tbeen": "x"}]:
        write("dialog_loader", bytes([subs_index]) + json.dumps({"words": words,
                                                                 "phrases": phrases}).encode())
    write("dialog_loader", bytes([subs_index]) + json.dumps({"words": words, "phrase": good}).encode())


def main():
    shutil.rmtree(CORPUS, ignore_errors=True)
    texts = [t.encode() for t in data_texts()]
    replies = quick_replies()
    conversations = transcripts()

    for text in TRICKY + texts + [r.encode() for r in replies]:
        write("normalize", text)

    for i, turns in enumerate(conversations):
        write("engine_turn", bytes([i % 256]) + "\n".join(turns).encode())
    for i, text in enumerate(TRICKY + texts):
        write("engine_turn", bytes([i % 256]) + text.replace(b"\n", b" "))
    # Walks through the menus by their buttons, a few replies at a time.
    for i in range(0, len(replies), 4):
        write("engine_turn", bytes([i % 256]) + "\n".join(replies[i:i + 4]).encode())

    # dialog_loader: the small test set it loads, each file at its own index;
    # the shipped files at the index of the file they replace, shipped flows
    # as an added flow file.
    test_root = os.path.join(ROOT, "tests", "engine", "testdata", "dialogs")
    test_files = sorted(os.path.relpath(p, test_root) for p in
                        glob.glob(os.path.join(test_root, "**", "*.json"), recursive=True))
    added = len(test_files)
    for i, rel in enumerate(test_files):
        with open(os.path.join(test_root, rel), "rb") as source:
            write("dialog_loader", bytes([i]) + source.read())
    files, root = dialog_files()
    for rel in files:
        index = test_files.index(rel) if rel in test_files else added
        with open(os.path.join(root, rel), "rb") as source:
            write("dialog_loader", bytes([index]) + source.read())
    files = test_files
    small_flow = {"intents": [{"id": "zz", "patterns": ["^zz$"], "start": "zz"}],
                  "flows": [{"id": "zz", "start": "a",
                             "nodes": {"a": {"say": ["{name}"], "next": "b"},
                                       "b": {"say": "end", "on": {"zz": "@return"}}}}]}
    write("dialog_loader", bytes([len(files)]) + json.dumps(small_flow).encode())
    write("dialog_loader", bytes([len(files)]) + b'{"intents": [{"id": "x", "patterns": ["(", "\\\\"]}]}')
    interrupt_and_phrase_seeds(test_root, test_files)

    bodies = [json.dumps({"text": t.decode("utf-8", "replace")}).encode() for t in TRICKY[:10]]
    bodies += [
        b'{"text": "hello", "region": "en-GB"}',
        b'{"text": "hello", "region": null, "extra": [1, {"a": 2}]}',
        b'{"text": 5}', b'{"text": "x", "region": 7}', b'{"text": "x", "region": "../.."}',
        b'[]', b'"text"', b'{"text": "\\u0000\\ud800"}', b'{"text": "a"', b'{',
        b'[' * 40 + b']' * 40, b'{"a":' * 40 + b'1' + b'}' * 40, b'{"text": 1e999}',
        b'{"text": "x", "text": "y"}', b'\xef\xbb\xbf{"text": "bom"}',
    ]
    for body in bodies:
        write("api_request", b"\x00" + body)
        write("api_request", b"\x01" + body)
    write("api_request", b"\x01")
    for path in ["/v1/conversations", "/v1/conversations/0123456789abcdef0123456789abcdef",
                 "/v1/conversations/x/messages", "/v1/conversations//messages",
                 "/healthz", "/readyz", "/metrics", "/v1/openapi.json", "/v1/", "/v1",
                 "/../../etc/passwd", "/%2e%2e%2fetc/passwd", "/index.html", ""]:
        write("api_request", b"\x02" + path.encode())
    for value in ["application/json", "Application/JSON; charset=utf-8", "text/plain", "",
                  "16384", "16385", "0", "99999999999999999999", "-1", "1e3", "en-GB,en;q=0.9",
                  "*", "de", "x" * 40, "Bearer abc_DEF-123", "bearer   tok", "Basic Zm9v",
                  "Bearer ", "Bearer"]:
        write("api_request", b"\x03" + value.encode())
    for value in ["0123456789abcdef0123456789abcdef", "0123456789ABCDEF0123456789ABCDEF",
                  "0123456789abcdef0123456789abcde", "", "../../etc/passwd"]:
        write("api_request", b"\x04" + value.encode())

    # session: stored states, canonical (the fast path) and not (the JSON
    # parser), and broken ones.
    canonical = ('{"history":[["infidelity","infidelity.open"]],"misses":0,"seed":1,'
                 '"slots":{"name":"Al\\"x\\u00e9"},"stack":[["welcome","start"],'
                 '["infidelity","open"]],"turns":3,"v":1,"visits":{"welcome.start":1}}')
    for state in [canonical,
                  canonical.replace('"misses":0', '"abuse":true,"misses":0')
                  .replace('"seed":1', '"risk":"suicide","seed":1').replace('"v":1', '"v":1')
                  .replace('"history"', '"minor":true,"history"', 0),
                  '{"v":1,"seed":18446744073709551615,"stack":[],"slots":{},"visits":{},'
                  '"turns":4294967295,"misses":0,"history":[]}',
                  '{ "v" : 1 , "seed":2,"stack":[["a","b"]],"slots":{"k":"\\ud83d\\ude22"},'
                  '"visits":{"a.b":2},"turns":1,"misses":1,"history":[["x","a.b"]]}',
                  '{"v":2}', '{"v":1}', '[]', '', '{"v":1,"seed":-1}', canonical[:40]]:
        write("session", state.encode())

    for target in sorted(os.listdir(CORPUS)):
        print(target, len(os.listdir(os.path.join(CORPUS, target))), "seeds")


if __name__ == "__main__":
    main()
