#!/usr/bin/env python3
"""Reference decoder for wsgate's histogram text (docs/result-schema.md,
"Histogram text"): the same buckets and percentiles as src/result/hist.c.

    python3 tools/wsgate_hist.py out/result.json   # each step's figures, in us
"""
import json
import math
import sys
from fractions import Fraction

LINEAR_LIMIT, SUB_BUCKETS = 2048, 1024


class Hist:
    def __init__(self, text):
        head = text.split(";")
        if len(head) != 6 or head[0] != "v1":
            raise ValueError("not a v1 histogram: %.40r" % text)
        self.count, self.min, self.max, self.sum = (int(x) for x in head[1:5])
        self.buckets = [tuple(int(x) for x in pair.split(":")) for pair in head[5].split(",") if pair]
        if sum(n for _, n in self.buckets) != self.count:
            raise ValueError("bucket counts do not add up to count")

    def mean(self):
        return self.sum / self.count if self.count else 0.0

    def percentile(self, p):
        """hist_percentile: the first bucket whose running count reaches
        rank = ceil(p/100 * count) (a relative 1e-15 shaved off first, so
        99.9% of 1000 is 999), reported as its midpoint clamped into
        [min, max]; p >= 100 is max, and an empty histogram gives 0."""
        if self.count == 0:
            return 0
        if p >= 100:
            return self.max
        want = Fraction(p) * self.count / 100
        rank = max(1, math.ceil(want - want / 10**15)) if p > 0 else 1
        seen = 0
        for index, n in self.buckets:
            seen += n
            if seen >= rank:
                lo, hi = bucket_range(index)
                return min(max(lo + (hi - lo) // 2, self.min), self.max)
        return self.max


def bucket_range(i):
    """Smallest and largest value of bucket i: 0..2047 exact, then 1024
    equal buckets for each power of two [2^k, 2^(k+1)), k >= 11."""
    if i < LINEAR_LIMIT:
        return i, i
    top = (i - LINEAR_LIMIT) // SUB_BUCKETS + 11
    shift = top - 10
    lo = ((i - LINEAR_LIMIT) % SUB_BUCKETS + SUB_BUCKETS) << shift
    return lo, lo + (1 << shift) - 1


def main(path):
    with open(path, encoding="utf-8") as f:
        result = json.load(f)
    for step in result["steps"]:
        h = Hist(step["histogram"])
        pcts = " ".join("p%s %d" % (p, h.percentile(p)) for p in (50, 90, 95, 99, 99.9))
        print("%s: count %d min %d max %d %s" % (step["name"], h.count, h.min, h.max, pcts))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: wsgate_hist.py RESULT.json")
    main(sys.argv[1])
