#!/usr/bin/env python3
"""Times the parse floor, a cold run and a warm re-run back to back, N times over.

    bench/interleaved.py [PRESET] [N]        (default: medium 12)

bench/run.sh times each command in a block of its own; on a host that steals time, the
floor's block and the run's block can see different machines. Here every iteration runs the
three in turn, so each ratio compares runs taken moments apart. Needs the corpus and the
release builds bench/run.sh makes. Prints medians of wall and CPU (user + system) time.
"""
import os
import resource
import statistics
import subprocess
import sys
import time

preset = sys.argv[1] if len(sys.argv) > 1 else "medium"
n = int(sys.argv[2]) if len(sys.argv) > 2 else 12
root = os.environ.get("BENCH_DIR") or os.path.join(os.environ.get("TMPDIR", "/tmp"), "yearbook-bench")
target = os.environ.get("CARGO_TARGET_DIR", "target")
release = os.path.join(target, "release")
yearbook = os.path.join(release, "yearbook")
corpus = os.path.join(release, "examples", "bench_corpus")
floor = os.path.join(release, "examples", "parse_floor")
d = os.path.join(root, preset)
pipeline = os.path.join(d, "pipeline.toml")


def timed(cmd):
    """Wall and CPU seconds of one command; its output is discarded."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu


warm_out = os.path.join(d, "out-warm")
subprocess.run([yearbook, "-q", "run", "--out", warm_out, pipeline], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
times = {"floor": [], "cold": [], "warm": []}
variant = time.time_ns() // 1000 % 10**9
for i in range(n):
    times["floor"].append(timed([floor, os.path.join(d, "data")]))
    times["cold"].append(timed([yearbook, "-q", "run", "--no-cache", "--out", os.path.join(d, "out"), pipeline]))
    # A new variant of the first workbook each time, so exactly one workbook is not cached.
    subprocess.run([corpus, preset, d, "--change", str(variant + i)], stdout=subprocess.DEVNULL, check=True)
    times["warm"].append(timed([yearbook, "-q", "run", "--out", warm_out, pipeline]))

med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in times.items()}
for k, (wall, cpu) in med.items():
    print(f"{k:5}  wall {wall * 1000:7.1f} ms   cpu {cpu * 1000:7.1f} ms")
print(f"cold / floor: {med['cold'][0] / med['floor'][0]:.2f}x wall, {med['cold'][1] / med['floor'][1]:.2f}x cpu")
print(f"warm / cold:  {100 * med['warm'][0] / med['cold'][0]:.1f}% wall, {100 * med['warm'][1] / med['cold'][1]:.1f}% cpu")
each = sorted(100 * w[0] / c[0] for w, c in zip(times["warm"], times["cold"]))
print("warm / cold in each iteration (%):", " ".join(f"{r:.1f}" for r in each))
