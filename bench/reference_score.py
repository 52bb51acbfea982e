#!/usr/bin/env python3
"""A plain-Python implementation of the EXPRESS metrics (DESIGN.md §1), written independently
of emosweep: the reference for the scoring benchmark and a cross-check in the test suite.

usage: reference_score.py PREDICTIONS.csv LEXICON.csv   -> prints the JSON scores
"""
import ast
import csv
import json
import sys

DIMS = ["anger", "anticipation", "disgust", "fear", "joy", "sadness", "surprise", "trust",
        "positive", "negative"]


def clean(x):
    if x.startswith('[') and x.endswith(']'):
        if "'" in x or '"' in x:
            try:
                v = ast.literal_eval(x)
            except Exception:
                return None
            if not isinstance(v, list) or not all(isinstance(w, str) for w in v):
                return None
            return [w.lower() for w in v]
        return [w.strip().lower() for w in x.strip('[]').split(',') if w.strip()]
    if '[' not in x and x.lower() != 'invalid output':
        return [x.strip().lower()]
    return None


def main():
    csv.field_size_limit(1 << 30)
    lex = {}
    with open(sys.argv[2], newline='') as f:
        for row in csv.DictReader(f):
            if row['word'] not in lex:
                lex[row['word']] = tuple(int(float(row[d])) for d in DIMS)
    zero = (0,) * 10
    rows = valid = masks = vmasks = lab = vec = 0
    f1sum = agsum = 0.0
    dim = [[0, 0, 0, 0] for _ in DIMS]  # agree, tp, fp, fn
    with open(sys.argv[1], newline='') as f:
        for row in csv.DictReader(f):
            gold = [w.lower() for w in ast.literal_eval(row['labels'])]
            pred = clean(row['output'])
            rows += 1
            masks += len(gold)
            if pred is None or len(pred) != len(gold):
                continue
            valid += 1
            vmasks += len(gold)
            for g, p in zip(gold, pred):
                gv, pv = lex.get(g, zero), lex.get(p, zero)
                lab += g == p
                vec += gv == pv
                tp = sum(a & b for a, b in zip(gv, pv))
                fp = sum((1 - a) & b for a, b in zip(gv, pv))
                fn = sum(a & (1 - b) for a, b in zip(gv, pv))
                f1sum += 0.0 if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)
                agsum += sum(a == b for a, b in zip(gv, pv)) / 10
                for d in range(10):
                    dim[d][0] += gv[d] == pv[d]
                    dim[d][1] += gv[d] & pv[d]
                    dim[d][2] += (1 - gv[d]) & pv[d]
                    dim[d][3] += gv[d] & (1 - pv[d])
    r = lambda a, b: a / b if b else 0.0
    out = {"rows": rows, "valid_rows": valid, "masks": masks, "vrate": r(valid, rows),
           "accl": r(lab, masks), "accv": r(vec, masks), "f1v": r(f1sum, vmasks),
           "accv2": r(agsum, vmasks),
           "dimensions": {d: {"agreement": r(dim[i][0], vmasks),
                              "f1": r(2 * dim[i][1], 2 * dim[i][1] + dim[i][2] + dim[i][3])}
                          for i, d in enumerate(DIMS)}}
    print(json.dumps(out))


if __name__ == '__main__':
    main()
