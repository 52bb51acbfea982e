#!/usr/bin/env bash
# End-to-end `emosweep score` against a plain-Python implementation of the same metrics
# (bench/reference_score.py) on the same predictions file, measured in the same run.
#   bench/score_vs_python.sh [BUILD_DIR] [REPEAT...]
# Each file is the real EXPRESS sample (or the demo dataset when ../shared is absent) repeated
# REPEAT times (default: 20) with random model outputs covering every cleaning branch. Both
# sides are timed as whole processes (start-up and lexicon loading included); with several
# sizes, the last line compares the two largest, where those fixed costs cancel.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
shift $(($# > 0 ? 1 : 0))
repeats=("$@")
[ ${#repeats[@]} -gt 0 ] || repeats=(20)
shared="$root/../shared/data/express"
if [ -f "$shared/express-sample.csv" ]; then
  data="$shared/express-sample.csv"; lex="$shared/lexicon-decomposition.csv"
else
  data="$root/configs/demo/demo-dataset.csv"; lex="$root/configs/demo/demo-lexicon.csv"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cat >"$work/make_file.py" <<'PY'
import ast, csv, random, sys
random.seed(1)
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
words = sorted({w for r in rows for w in ast.literal_eval(r['labels'])})
masks = 0
with open(sys.argv[2], 'w', newline='') as f:
    w = csv.writer(f)
    w.writerow(['segment', 'number_of_labels', 'labels', 'output'])
    for _ in range(int(sys.argv[3])):
        for r in rows:
            gold = ast.literal_eval(r['labels'])
            masks += len(gold)
            pick = [random.choice(words) if random.random() < 0.6 else g for g in gold]
            k = random.random()
            out = repr(pick) if k < 0.8 else ('[' + ', '.join(pick) + ']' if k < 0.9 else pick[0])
            w.writerow([r['segment'], r['number_of_labels'], r['labels'], out])
print(masks)
PY
cat >"$work/best_of.py" <<'PY'
import subprocess, sys, time
n = int(sys.argv[1]); best = None
for _ in range(n):
    t = time.perf_counter()
    subprocess.run(sys.argv[2:], check=True, stdout=subprocess.DEVNULL)
    d = time.perf_counter() - t
    best = d if best is None or d < best else best
print(f"{best:.4f}")
PY

printf '%-7s %9s %6s %11s %13s %9s %7s\n' repeat masks size "emosweep s" "masks/s" "python s" ratio
results=()
for repeat in "${repeats[@]}"; do
  masks=$(python3 "$work/make_file.py" "$data" "$work/pred.csv" "$repeat")
  size=$(du -h "$work/pred.csv" | cut -f1)
  ours=$(python3 "$work/best_of.py" 7 "$build/emosweep" score "$work/pred.csv" --lexicon "$lex")
  ref=$(python3 "$work/best_of.py" 2 python3 "$root/bench/reference_score.py" "$work/pred.csv" "$lex")
  python3 -c '
import sys
repeat, masks, size, ours, ref = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
print(f"{repeat:<7} {masks:>9,} {size:>6} {ours:>11.4f} {masks/ours:>13,.0f} {ref:>9.3f} {ref/ours:>6.1f}x")
' "$repeat" "$masks" "$size" "$ours" "$ref"
  results+=("$masks $ours $ref")
done
echo "(goal: ratio >= 100x; best of 7 runs of emosweep score, best of 2 of the Python script)"
if [ ${#results[@]} -ge 2 ]; then
  # Between the two largest files the fixed costs of both processes (start-up, the lexicon)
  # cancel: the ratio of the extra time per extra mask is the throughput ratio proper.
  python3 -c '
import sys
rows = sorted((tuple(map(float, r.split())) for r in sys.argv[1:]), key=lambda r: r[0])
(m1, o1, p1), (m2, o2, p2) = rows[-2], rows[-1]
print(f"marginal, {int(m1):,} -> {int(m2):,} masks: emosweep {(m2-m1)/(o2-o1):,.0f} masks/s, "
      f"python {(m2-m1)/(p2-p1):,.0f} masks/s, ratio {(p2-p1)/(o2-o1):.1f}x")
' "${results[@]}"
fi
