#!/usr/bin/env python3
"""Tables of scripts/bench-compare.sh from its raw results:
  scripts/bench_table.py OUT_DIR ROUNDS RUNTIME...
OUT_DIR holds RUNTIME.ROUND.json (Google Benchmark JSON). Prints, in
Markdown, the median wall time of the rounds per benchmark and runtime with
the ratio to native, then the spread (min-max over rounds)."""
import json, sys, os, re, statistics
out, rounds, runtimes = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
samples, errors, order = {}, {}, []
for rt in runtimes:
    for r in range(1, rounds + 1):
        path = os.path.join(out, "%s.%d.json" % (rt, r))
        text = open(path).read() if os.path.exists(path) else ""
        try:
            data = json.loads(text)
        except ValueError:
            # A run that died midway: keep its complete entries.
            data = {"benchmarks": [json.loads(m) for m in
                    re.findall(r'\{[^{}]*"run_name"[^{}]*\}', text)]}
        for b in data.get("benchmarks", []):
            name = b.get("run_name", b["name"])
            if name not in order:
                order.append(name)
            if b.get("error_occurred"):
                errors.setdefault(name, {})[rt] = b.get("error_message", "error")
                continue
            scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
            samples.setdefault(name, {}).setdefault(rt, []).append(b["real_time"] * scale)
            if rt == "native":
                samples[name].setdefault("native-cpu", []).append(b["cpu_time"] * scale)
results = {}
# Native's CPU time too: on a loaded machine its wall time includes waiting
# for a CPU, which the CPU time does not.
if "native" in runtimes:
    runtimes.insert(runtimes.index("native") + 1, "native-cpu")
for name in order:
    for rt in runtimes:
        got = samples.get(name, {}).get(rt)
        if got:
            results.setdefault(name, {})[rt] = statistics.median(got)
        elif rt in errors.get(name, {}):
            results.setdefault(name, {})[rt] = None

def fmt(ns):
    if ns is None: return "error"
    if ns >= 1e6: return "%.2f ms" % (ns / 1e6)
    if ns >= 1e3: return "%.2f µs" % (ns / 1e3)
    return "%.0f ns" % ns

head = ["benchmark"] + runtimes
print("| " + " | ".join(head) + " |")
print("|" + "---|" * len(head))
for name in order:
    row = [name.replace("BM_", "")]
    base = results[name].get("native")
    for rt in runtimes:
        v = results[name].get(rt, "missing")
        if v == "missing": row.append("—"); continue
        cell = fmt(v)
        if rt not in ("native", "native-cpu") and base and v:
            cell += " (%.1f×)" % (v / base)
        row.append(cell)
    print("| " + " | ".join(row) + " |")

print()
print("Spread over rounds (min–max wall time):")
print()
print("| " + " | ".join(head) + " |")
print("|" + "---|" * len(head))
for name in order:
    row = [name.replace("BM_", "")]
    for rt in runtimes:
        got = samples.get(name, {}).get(rt)
        row.append("%s – %s" % (fmt(min(got)), fmt(max(got))) if got else "—")
    print("| " + " | ".join(row) + " |")
