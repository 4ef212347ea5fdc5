#!/usr/bin/env python3
"""Brute force on the query sample: every pair (q, j), q in the sample, with cosine >= 0.95 (exact
float64 dots, NumPy), and each query's nearest neighbour.  python3 bench/audit/hnsw/truth.py DIR"""
import sys, json
import numpy as np

d = sys.argv[1]
rows = np.fromfile(f"{d}/rows.f32", dtype=np.float32).reshape(-1, 96)
sample = np.fromfile(f"{d}/sample.i32", dtype=np.int32)
n = rows.shape[0]
pairs, nn, hist = [], np.empty(len(sample), np.int32), {}
for s0 in range(0, len(sample), 250):
    qs = sample[s0:s0 + 250]
    sims = rows[qs].astype(np.float64) @ rows.astype(np.float64).T
    sims[np.arange(len(qs)), qs] = -np.inf
    nn[s0:s0 + len(qs)] = sims.argmax(axis=1)
    for r, q in enumerate(qs):
        for j in np.nonzero(sims[r] >= 0.95)[0]:
            pairs.append((min(q, j), max(q, j)))
    for f in (0.9, 0.95):
        hist[f] = hist.get(f, 0) + int((sims >= f).sum())
pairs = np.array(sorted(set(pairs)), dtype=np.int32).reshape(-1, 2)
pairs.tofile(f"{d}/truth.i32")
nn.tofile(f"{d}/nn.i32")
per_q, in_sample = {}, set(sample.tolist())
for a, b in pairs:
    for x in (a, b):
        if x in in_sample:
            per_q[x] = per_q.get(x, 0) + 1
print(json.dumps({"n": n, "truthPairs": len(pairs), "sampleHitsAt0.9": hist[0.9], "sampleHitsAt0.95": hist[0.95], "maxPairsPerQuery": max(per_q.values()) if per_q else 0}))
