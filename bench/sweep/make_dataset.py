#!/usr/bin/env python3
"""Synthetic EXPRESS-shaped dataset for the end-to-end benchmarks (bench/sweep_bench.sh).

Writes N short segments (20-40 words, 1-3 <mask> tokens) as an EXPRESS CSV with the columns
index, original_ids, segment, number_of_labels, labels. Gold labels are drawn from the words of
a lexicon (those with a non-zero emotion vector) so that scoring does real lookups. Deterministic for a given seed.

Usage: make_dataset.py OUT.csv N LEXICON.csv [--seed S] [--posts-every K]
"""
import argparse
import csv
import random

FILLER = ("today I went back to the place where it all started and honestly I did not expect "
          "to see anyone there but my old friend was waiting near the door with coffee and we "
          "talked for hours about work family plans money and the future").split()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("count", type=int)
    parser.add_argument("lexicon")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--posts-every", type=int, default=4, help="segments per post (original_ids)")
    args = parser.parse_args()

    with open(args.lexicon, newline="") as f:
        # Words with at least one emotion or sentiment dimension: labels that look like gold.
        words = sorted({row["word"] for row in csv.DictReader(f)
                        if row["word"].isalpha() and any(float(v) for k, v in row.items() if k != "word")})
    rng = random.Random(args.seed)
    with open(args.out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["index", "original_ids", "segment", "number_of_labels", "labels"])
        for i in range(args.count):
            masks = rng.randint(1, 3)
            length = rng.randint(20, 40)
            start = rng.randrange(len(FILLER))
            text = [FILLER[(start + k) % len(FILLER)] for k in range(length)]
            # Distinct positions so that every segment has exactly `masks` tokens.
            for pos in sorted(rng.sample(range(1, length), masks)):
                text[pos] = "<mask>"
            labels = [rng.choice(words) for _ in range(masks)]
            w.writerow([f"s{i}", f"p{i // args.posts_every}", f"Story {i}: " + " ".join(text) + ".",
                        masks, repr(labels)])


if __name__ == "__main__":
    main()
