"""NumPy anchors for bench/audit/run.mjs, on the very rows the app's modules audited.

    python3 bench/audit/anchor.py JOB.json   → one JSON object on stdout

JOB names .npy files written by run.mjs (unit rows [N×D] float32, split per point uint8, ...)
and which parts to run:
  brute:   for query points Q, every labelled row's cosine by exact matmul (blocks of 128
           queries): the pairs at or above the floor, each query's nearest labelled row and its
           k-th nearest cosine (a query is never its own neighbour). Timed as a whole.
  novelty: the same for a sample of test points (k-th nearest cosine only).
  labels:  the label pass's probabilities for a sample of labelled rows, as the app computes
           them (cosine to the class means × the temperature + log prior; a train row scored
           against its own class's mean without it), log-sum-exp and the top 10 classes. Timed.
  concentration: each class's main institution (bincount of class × institution).
"""

import json
import sys
import time

import numpy as np


def neighbours(u, db, queries, floor, k, want_pairs):
    """Exact search of `queries` against the rows `db` (ascending indexes into u)."""
    ud = u[db]
    pairs_q, pairs_d, pairs_c = [], [], []
    nn_index = np.empty(len(queries), np.int64)
    nn_cos = np.empty(len(queries), np.float32)
    kth = np.empty(len(queries), np.float32)
    matmul_s = 0.0
    t0 = time.perf_counter()
    for b in range(0, len(queries), 128):
        q = queries[b : b + 128]
        t = time.perf_counter()
        s = u[q] @ ud.T
        matmul_s += time.perf_counter() - t
        # A query that is itself labelled is not its own neighbour.
        pos = np.searchsorted(db, q)
        own = (pos < len(db)) & (db[np.minimum(pos, len(db) - 1)] == q)
        s[np.nonzero(own)[0], pos[own]] = -np.inf
        if want_pairs:
            r, c = np.nonzero(s >= floor)
            pairs_q.append(q[r])
            pairs_d.append(db[c])
            pairs_c.append(s[r, c])
        kth[b : b + len(q)] = np.partition(s, s.shape[1] - k, axis=1)[:, s.shape[1] - k]
        best = s.argmax(axis=1)
        nn_index[b : b + len(q)] = db[best]
        nn_cos[b : b + len(q)] = s[np.arange(len(q)), best]
    total_s = time.perf_counter() - t0
    out = {"ms": total_s * 1000, "matmulMs": matmul_s * 1000, "queries": len(queries), "database": len(db),
           "nnIndex": nn_index.tolist(), "nnCos": nn_cos.tolist(), "kthCos": kth.tolist()}
    if want_pairs:
        out["pairs"] = {"q": np.concatenate(pairs_q).tolist(), "d": np.concatenate(pairs_d).tolist(), "cos": np.concatenate(pairs_c).tolist()}
    return out


def label_probabilities(job):
    x = np.load(job["labelRows"])  # raw rows of the sample
    labels = np.load(job["labelLabels"]).astype(np.int64)
    in_fit = np.load(job["labelInFit"]).astype(bool)
    sums = np.load(job["sums"])  # float64 [C×D]
    counts = np.load(job["counts"]).astype(np.float64)
    log_prior = np.load(job["logPrior"]).astype(np.float32)
    scale = np.float32(job["scale"])
    k = job["k"]
    t0 = time.perf_counter()
    norm = np.linalg.norm(sums, axis=1, keepdims=True)
    w = (sums / np.where(norm > 0, norm, 1)).astype(np.float32)  # unit class means
    bias = np.where(counts > 0, log_prior, -np.inf).astype(np.float32)
    sum_norm2 = (sums * sums).sum(axis=1)
    given = np.empty(len(labels), np.float32)
    top_class = np.empty((len(labels), k), np.int64)
    for b in range(0, len(labels), 1024):
        xb = x[b : b + 1024]
        yb = labels[b : b + 1024]
        fb = in_fit[b : b + 1024]
        xx = (xb.astype(np.float64) ** 2).sum(axis=1)
        xu = (xb / np.sqrt(xx)[:, None]).astype(np.float32)
        logits = scale * (xu @ w.T) + bias
        rows = np.arange(len(yb))
        # The own class: left out of its mean for a train row, as is.
        xs = (xb.astype(np.float64) * sums[yb]).sum(axis=1)
        rest2 = sum_norm2[yb] - 2 * xs + xx
        loo = np.where(rest2 > 1e-12 * np.maximum(1, sum_norm2[yb]), (xs - xx) / np.sqrt(xx * np.maximum(rest2, 1e-300)), 0)
        loo_prior = log_prior[yb] + np.log((counts[yb] - 1) / counts[yb])
        own = np.where(fb, scale * loo + loo_prior, logits[rows, yb]).astype(np.float32)
        logits[rows, yb] = own
        m = logits.max(axis=1, keepdims=True)
        log_z = (m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))).astype(np.float32)
        given[b : b + len(yb)] = np.exp(own - log_z)
        top = np.argpartition(-logits, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(logits, top, axis=1), axis=1, kind="stable")
        top_class[b : b + len(yb)] = np.take_along_axis(top, order, axis=1)
    ms = (time.perf_counter() - t0) * 1000
    return {"ms": ms, "rows": len(labels), "given": given.tolist(), "top1": top_class[:, 0].tolist()}


def concentration(job, repeats):
    cls = np.load(job["slotClass"]).astype(np.int64)
    inst = np.load(job["slotInstitution"]).astype(np.int64)
    c, n_inst = job["numClasses"], job["numInstitutions"]
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        ok = (cls >= 0) & (inst >= 0)
        table = np.bincount(cls[ok] * n_inst + inst[ok], minlength=c * n_inst).reshape(c, n_inst)
        images = table.sum(axis=1)
        main = np.where(images > 0, table.argmax(axis=1), -1)
        share = np.where(images > 0, table.max(axis=1) / np.maximum(images, 1), 0)
        times.append((time.perf_counter() - t0) * 1000)
    return {"ms": sorted(times)[len(times) // 2], "runs": times, "main": main.tolist(), "share": share.tolist()}


def main():
    job = json.load(open(sys.argv[1]))
    out = {"numpy": np.__version__}
    if "rows" in job:
        u = np.load(job["rows"], mmap_mode=None)
        split = np.load(job["split"])
        db = np.nonzero(split != 2)[0]
        if "brute" in job:
            q = np.load(job["brute"])
            out["brute"] = neighbours(u, db, q, job["floor"], job["k"], True)
        if "novelty" in job:
            q = np.load(job["novelty"])
            out["novelty"] = neighbours(u, db, q, job["floor"], job["k"], False)
    if "labelRows" in job:
        out["labels"] = label_probabilities(job)
    if "slotClass" in job:
        out["concentration"] = concentration(job, job.get("repeats", 5))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
