#!/usr/bin/env bash
# End-to-end `emosweep score` against a plain-Python implementation of the same metrics
# (bench/reference_score.py) on the same predictions file, measured in the same run.
#   bench/score_vs_python.sh [BUILD_DIR] [REPEAT]
# The file is the real EXPRESS sample (or the demo dataset when ../shared is absent) repeated
# REPEAT times (default 20) with random model outputs covering every cleaning branch.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
repeat="${2:-20}"
shared="$root/../shared/data/express"
if [ -f "$shared/express-sample.csv" ]; then
  data="$shared/express-sample.csv"; lex="$shared/lexicon-decomposition.csv"
else
  data="$root/configs/demo/demo-dataset.csv"; lex="$root/configs/demo/demo-lexicon.csv"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 - "$data" "$work/pred.csv" "$repeat" <<'PY'
import ast, csv, random, sys
random.seed(1)
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
words = sorted({w for r in rows for w in ast.literal_eval(r['labels'])})
with open(sys.argv[2], 'w', newline='') as f:
    w = csv.writer(f)
    w.writerow(['segment', 'number_of_labels', 'labels', 'output'])
    for _ in range(int(sys.argv[3])):
        for r in rows:
            gold = ast.literal_eval(r['labels'])
            pick = [random.choice(words) if random.random() < 0.6 else g for g in gold]
            k = random.random()
            out = repr(pick) if k < 0.8 else ('[' + ', '.join(pick) + ']' if k < 0.9 else pick[0])
            w.writerow([r['segment'], r['number_of_labels'], r['labels'], out])
PY
masks=$(python3 -c "import csv,ast,sys; csv.field_size_limit(1<<30); print(sum(len(ast.literal_eval(r['labels'])) for r in csv.DictReader(open(sys.argv[1], newline=''))))" "$work/pred.csv")
size=$(du -h "$work/pred.csv" | cut -f1)

time_of() {  # best of N wall-clock seconds
  local n="$1"; shift
  python3 - "$n" "$@" <<'PY'
import subprocess, sys, time
n = int(sys.argv[1]); best = None
for _ in range(n):
    t = time.perf_counter()
    subprocess.run(sys.argv[2:], check=True, stdout=subprocess.DEVNULL)
    d = time.perf_counter() - t
    best = d if best is None or d < best else best
print(f"{best:.4f}")
PY
}
ours=$(time_of 5 "$build/emosweep" score "$work/pred.csv" --lexicon "$lex")
ref=$(time_of 2 python3 "$root/bench/reference_score.py" "$work/pred.csv" "$lex")
python3 - "$masks" "$ours" "$ref" "$size" <<'PY'
import sys
masks, ours, ref, size = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
print(f"file: {masks} masks, {size}")
print(f"emosweep score : {ours:8.3f} s  {masks/ours:12,.0f} masks/s")
print(f"plain Python   : {ref:8.3f} s  {masks/ref:12,.0f} masks/s")
print(f"ratio          : {ref/ours:8.1f}x  (goal >= 100x)")
PY
