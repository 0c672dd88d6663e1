#!/usr/bin/env python3
"""Turns the benchmark outputs in RESULTS into the tables plot.sh draws and
prints every figure against its target (issue 8).

    bench/summary.py RESULTS

Reads RESULTS/engine.json (Google Benchmark, with repetitions: medians are
used), RESULTS/http-summary.tsv, RESULTS/instructions.tsv and
RESULTS/memory.tsv, whichever exist.
Writes RESULTS/growth.tsv and RESULTS/length.tsv.
"""
import csv
import json
import os
import sys

results = sys.argv[1]


def path(name):
    return os.path.join(results, name)


def engine_medians():
    """name -> the median run's fields (cpu_time in ns unless time_unit)."""
    data = json.load(open(path("engine.json")))
    medians = {}
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        name = b.get("run_name", b["name"])
        if b.get("run_type") == "aggregate" or name not in medians:
            medians[name] = b
    return data.get("context", {}), medians


def ns(b):
    scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
    return b["cpu_time"] * scale, b["real_time"] * scale


rows = []  # (figure, value, target, verdict)


def check(figure, value, target, ok):
    rows.append((figure, value, target, "met" if ok else "MISSED"))


if os.path.exists(path("engine.json")):
    context, m = engine_medians()
    print("machine: %s x %s MHz, load average %s" % (
        context.get("num_cpus"), context.get("mhz_per_cpu"),
        context.get("load_avg")))
    mix_cpu, mix_wall = ns(m["BM_TurnMix"])
    check("median turn, shipped dialogs, realistic mix",
          "%.2f us CPU (%.2f us wall)" % (mix_cpu / 1e3, mix_wall / 1e3),
          "<= 5 us", mix_cpu <= 5000)
    for kind in range(4):
        b = m.get("BM_TurnKind/%d" % kind)
        if b:
            print("  turn, %-8s %.2f us CPU" % (b.get("label", kind), ns(b)[0] / 1e3))
    # Messages seen for the first time (the DFA states they need are built
    # then): the same target, on the turns people actually send.
    novel = m.get("BM_TurnNovel/iterations:1")
    if novel:
        check("median turn, first-seen messages (%d distinct)" % novel["messages"],
              "%.0f us wall (p90 %.0f us; the same messages again: %.1f us; DFA caches +%.0f MB)"
              % (novel["novel_median_us"], novel["novel_p90_us"], novel["seen_median_us"],
                 novel["dfa_MB"]),
              "<= 5 us", novel["novel_median_us"] <= 5)
    # Registered with MeasureProcessCPUTime(): the run is named
    # ".../process_time" (the whole process's CPU: the screen compiles on a
    # second thread).
    load = m.get("BM_LoadShippedDialogs/process_time") or m["BM_LoadShippedDialogs"]
    load_cpu, load_wall = ns(load)
    check("load of the shipped dialogs",
          "%.0f ms CPU (%.0f ms wall)" % (load_cpu / 1e6, load_wall / 1e6),
          "<= 100 ms", load_cpu <= 100e6)
    sb = m["BM_StateBytes/iterations:1"]
    check("conversation state in memory (Session)",
          "%d B" % sb["in_memory_bytes"], "<= 4 KB", sb["in_memory_bytes"] <= 4096)
    check("conversation state serialised",
          "%d B (%d B after the opening)" % (sb["serialised_bytes"],
                                             sb["serialised_bytes_after_start"]),
          "<= 4 KB", sb["serialised_bytes"] <= 4096)
    with open(path("growth.tsv"), "w") as out:
        out.write("intents\tgenerated_us\tno_generated_us\n")
        growth = {}
        for n in (10, 100, 1000, 10000):
            hit, miss = m["BM_TurnIntents/%d/1" % n], m["BM_TurnIntents/%d/0" % n]
            growth[n] = ns(hit)[0]
            out.write("%d\t%.3f\t%.3f\n" % (hit["intents"], ns(hit)[0] / 1e3,
                                            ns(miss)[0] / 1e3))
    ratio = growth[10000] / growth[10]
    check("turn at 10,000 generated intents vs 10",
          "%.2fx (%.2f us vs %.2f us)" % (ratio, growth[10000] / 1e3, growth[10] / 1e3),
          "<= 3x", ratio <= 3)
    with open(path("length.tsv"), "w") as out:
        out.write("bytes\tturn_us\n")
        for n in (10, 100, 1000, 2000, 10000):
            out.write("%d\t%.3f\n" % (n, ns(m["BM_TurnLength/%d" % n])[0] / 1e3))

if os.path.exists(path("http-summary.tsv")):
    summary = list(csv.DictReader(open(path("http-summary.tsv")), delimiter="\t"))
    most = max(int(r["connections"]) for r in summary)
    for r in summary:
        if int(r["connections"]) != most or r["server"] == "minimal":
            continue
        need = 0.8 if r["server"] == "memory" else 0.5
        check("HTTP %s store vs minimal at %d connections" % (r["server"], most),
              "%.0f%% (%s turns/s)" % (100 * float(r["ratio_to_minimal"]), r["turns_per_s"]),
              ">= %d%%" % (100 * need), float(r["ratio_to_minimal"]) >= need)
        check("HTTP %s store p99 at %d connections" % (r["server"], most),
              "%s ms (p50 %s ms)" % (r["p99_ms"], r["p50_ms"]), "< 10 ms",
              float(r["p99_ms"]) < 10)

if os.path.exists(path("instructions.tsv")):
    print("instructions per request (callgrind, user space):")
    for r in csv.DictReader(open(path("instructions.tsv")), delimiter="\t"):
        print("  %-62s %s %s" % (r["what"], r["instructions_per_request"],
                                 r.get("verdict") or ""))

if os.path.exists(path("memory.tsv")):
    for r in csv.DictReader(open(path("memory.tsv")), delimiter="\t"):
        if r["phase"] == "idle_after_opening":
            check("RSS with %s idle conversations (memory store)" % r["conversations"],
                  "%s MB (%s B each)" % (r["rss_mb"], r["bytes_per_conversation"]),
                  "< 1 GB", float(r["rss_mb"]) < 1024)
        elif r["phase"].startswith("plus_"):
            print("  %s conversations with %s: %s B each" % (
                r["conversations"], r["phase"][5:].replace("_", " "),
                r["bytes_per_conversation"]))

width = max(len(r[0]) for r in rows) if rows else 0
for figure, value, target, verdict in rows:
    print("%-*s  %-34s %-9s %s" % (width, figure, value, target, verdict))
