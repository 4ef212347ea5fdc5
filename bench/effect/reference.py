#!/usr/bin/python3
"""NumPy / scikit-learn reference for bench:effect: three balanced (τ = 1) classifiers fitted OUTSIDE
the app on the app's own embeddings, scored on the true test labels.

    /usr/bin/python3 bench/effect/reference.py --embeddings embeddings.npz \
        --test-labels test_labels.csv [--json OUT]

Inputs
  embeddings.npz   the app's download: `embeddings` float32/float16 [N, D], `image_id` unicode [N],
                   `category_id` int64 [N] (-1 for test rows), `split` unicode [N] in
                   {'train', 'heldout', 'test'}.
  test_labels.csv  the answer key, header `image_id,category_id` (scripts/make-lt-set.mjs) or Kaggle's
                   `Id,Predicted` (scripts/make-demo.mjs); one row per test image.

Fitting uses the labelled rows only ('train' and 'heldout' together: the held-out split exists for the
app's τ sweep, which nothing here does); the 'test' rows are scored. Every test row must have a label,
and every labelled id must be a test row (--allow-unembedded scores the embedded ones and says how
many were left out).

Classifiers (all at τ = 1, i.e. balanced)
  ncm_balanced   nearest class mean, cosine: class means of the raw labelled rows (as the app's
                 prototypes), L2-normalised; queries L2-normalised; argmax cosine, no prior. This is
                 post-hoc adjustment at τ = 1 of NCM with prior (s·cos + log π − log π), whatever s.
  lda_shrinkage  sklearn LinearDiscriminantAnalysis(solver='lsqr', shrinkage='auto' (Ledoit–Wolf),
                 priors uniform): the balanced Bayes rule of shrinkage LDA.
  probe_tau1     multinomial softmax regression: StandardScaler fitted on the labelled rows, then
                 LogisticRegression(lbfgs, L2, C = 1.0 (the fixed rule: scikit-learn's default on
                 standardised features, no search), max_iter 10000, tol 1e-6), plain cross-entropy;
                 then post-hoc logit adjustment at τ = 1: argmax(logits − log π), π = the class
                 frequencies of the rows it was fitted on.

Metrics on the test rows: macro-F1 (f1_score(average='macro'), sklearn's default labels = classes in
y_true ∪ y_pred), balanced accuracy (mean per-class recall over the classes of y_true) and top-1
accuracy. `best` is the largest macro-F1 of the three, `best_classifier` its name. Prints one JSON
object (also written to --json OUT).
"""

import argparse
import csv
import json
import os
import sys
import time
import warnings
import zipfile

import numpy as np
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score
from sklearn.preprocessing import StandardScaler

PROG = "reference.py"
C_PROBE = 1.0


class InputError(Exception):
    pass


def examples(items, n=5):
    items = list(items)
    shown = ", ".join(repr(x) for x in items[:n])
    return shown + (f", … ({len(items)} in all)" if len(items) > n else "")


def load_embeddings(path):
    if not os.path.isfile(path):
        raise InputError(f"--embeddings: no such file: {path}")
    if not zipfile.is_zipfile(path):
        raise InputError(f"--embeddings: {path} is not an .npz (not a zip archive)")
    try:
        npz = np.load(path, allow_pickle=False)
    except Exception as e:  # not a zip / not an npz
        raise InputError(f"--embeddings: {path} is not a readable .npz ({e})")
    with npz:
        missing = [k for k in ("embeddings", "image_id", "category_id", "split") if k not in npz.files]
        if missing:
            raise InputError(f"--embeddings: {path} lacks {', '.join(missing)} (has {', '.join(npz.files)}); expected the app's embeddings.npz")
        X = npz["embeddings"]
        ids = npz["image_id"]
        cat = npz["category_id"]
        split = npz["split"]
    if X.ndim != 2:
        raise InputError(f"--embeddings: `embeddings` has shape {X.shape}, expected [N, D]")
    n = X.shape[0]
    for name, a in (("image_id", ids), ("category_id", cat), ("split", split)):
        if a.shape != (n,):
            raise InputError(f"--embeddings: `{name}` has shape {a.shape}, expected [{n}]")
    if X.dtype not in (np.float32, np.float16, np.float64):
        raise InputError(f"--embeddings: `embeddings` is {X.dtype}, expected float32 or float16")
    if ids.dtype.kind != "U" or split.dtype.kind != "U":
        raise InputError("--embeddings: `image_id` and `split` must be unicode arrays")
    if cat.dtype.kind not in "iu":
        raise InputError(f"--embeddings: `category_id` is {cat.dtype}, expected int64")
    dtype = str(X.dtype)
    X = X.astype(np.float64)
    if not np.all(np.isfinite(X)):
        raise InputError("--embeddings: `embeddings` has non-finite values")
    ids = ids.astype(str)
    split = split.astype(str)
    bad = sorted(set(split) - {"train", "heldout", "test"})
    if bad:
        raise InputError(f"--embeddings: unknown split names {examples(bad)} (expected train, heldout, test)")
    dup = [i for i, c in zip(*np.unique(ids, return_counts=True)) if c > 1]
    if dup:
        raise InputError(f"--embeddings: duplicate image ids {examples(dup)}")
    return X, dtype, ids, cat.astype(np.int64), split


def load_labels(path):
    try:
        f = open(path, newline="", encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"--test-labels: no such file: {path}")
    with f:
        rows = list(csv.reader(f))
    if not rows:
        raise InputError(f"--test-labels: {path} is empty")
    header = [h.strip() for h in rows[0]]
    if header not in (["image_id", "category_id"], ["Id", "Predicted"]):
        raise InputError(f"--test-labels: header {rows[0]}, expected image_id,category_id (or Kaggle's Id,Predicted)")
    labels = {}
    for line, r in enumerate(rows[1:], start=2):
        if not r:
            continue
        if len(r) != 2:
            raise InputError(f"--test-labels: line {line} has {len(r)} fields, expected 2")
        image_id, c = r[0].strip(), r[1].strip()
        try:
            c = int(c)
        except ValueError:
            raise InputError(f"--test-labels: line {line}: category_id {c!r} is not an integer")
        if image_id in labels:
            raise InputError(f"--test-labels: line {line}: image id {image_id!r} listed twice")
        labels[image_id] = c
    if not labels:
        raise InputError(f"--test-labels: {path} has no rows")
    return labels


def scores(y_true, y_pred):
    return {
        "macro_f1": float(f1_score(y_true, y_pred, average="macro")),
        "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
    }


def ncm_balanced(Xtr, ytr, Xte, classes):
    means = np.stack([Xtr[ytr == c].mean(axis=0) for c in classes])
    means /= np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-30)
    q = Xte / np.maximum(np.linalg.norm(Xte, axis=1, keepdims=True), 1e-30)
    return classes[np.argmax(q @ means.T, axis=1)], {}


def lda_shrinkage(Xtr, ytr, Xte, classes):
    lda = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto", priors=np.full(len(classes), 1.0 / len(classes)))
    lda.fit(Xtr, ytr)
    assert np.array_equal(lda.classes_, classes)
    return lda.predict(Xte), {}


def probe_tau1(Xtr, ytr, Xte, classes, prior):
    scaler = StandardScaler().fit(Xtr)
    clf = LogisticRegression(C=C_PROBE, solver="lbfgs", max_iter=10000, tol=1e-6)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        clf.fit(scaler.transform(Xtr), ytr)
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    assert np.array_equal(clf.classes_, classes)
    logits = clf.decision_function(scaler.transform(Xte))
    adjusted = logits - np.log(prior)[None, :]
    extra = {"C": C_PROBE, "standardized": True, "n_iter": int(np.max(clf.n_iter_)), "converged": converged}
    if not converged:
        print(f"{PROG}: warning: the probe did not converge in {clf.max_iter} iterations", file=sys.stderr)
    return classes[np.argmax(adjusted, axis=1)], extra


def main(argv=None):
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    ap.add_argument("--embeddings", required=True, help="the app's embeddings.npz")
    ap.add_argument("--test-labels", required=True, help="test_labels.csv (image_id,category_id)")
    ap.add_argument("--json", help="also write the JSON here")
    ap.add_argument("--allow-unembedded", action="store_true", help="score the embedded test images when some labelled ones are not in the npz")
    args = ap.parse_args(argv)

    try:
        X, dtype, ids, cat, split = load_embeddings(args.embeddings)
        labels = load_labels(args.test_labels)
        lab = np.isin(split, ["train", "heldout"])
        te = split == "test"
        if np.any(cat[lab] < 0):
            raise InputError(f"--embeddings: {int(np.sum(cat[lab] < 0))} train/heldout rows have category_id -1")
        if not np.any(lab):
            raise InputError("--embeddings: no train or heldout rows to fit on")
        if not np.any(te):
            raise InputError("--embeddings: no test rows to score (embed the test split in the app)")
        test_ids = ids[te]
        unlabelled = [i for i in test_ids if i not in labels]
        if unlabelled:
            raise InputError(
                f"test ids do not match: {len(unlabelled)} of the {len(test_ids)} test rows of --embeddings have no label in "
                f"--test-labels ({examples(unlabelled)}); are they the same dataset?"
            )
        test_set = set(test_ids)
        unembedded = [i for i in labels if i not in test_set]
        if unembedded and not args.allow_unembedded:
            raise InputError(
                f"test ids do not match: {len(unembedded)} of the {len(labels)} ids of --test-labels are not test rows of "
                f"--embeddings ({examples(unembedded)}); pass --allow-unembedded to score the {len(test_ids)} embedded ones"
            )
    except InputError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2

    Xtr, ytr = X[lab], cat[lab]
    Xte = X[te]
    yte = np.array([labels[i] for i in test_ids], dtype=np.int64)
    classes, counts = np.unique(ytr, return_counts=True)
    prior = counts / counts.sum()

    out = {
        "embeddings": args.embeddings,
        "test_labels": args.test_labels,
        "dim": int(X.shape[1]),
        "dtype": dtype,
        "rows": {s: int(np.sum(split == s)) for s in ("train", "heldout", "test")},
        "classes": int(len(classes)),
        "train_per_class": {"max": int(counts.max()), "min": int(counts.min())},
        "test_classes": int(len(np.unique(yte))),
        "test_classes_unseen_in_train": int(len(np.setdiff1d(np.unique(yte), classes))),
        "unembedded_test_labels": len(unembedded),
    }
    results = {}
    for name, fit in (
        ("ncm_balanced", lambda: ncm_balanced(Xtr, ytr, Xte, classes)),
        ("lda_shrinkage", lambda: lda_shrinkage(Xtr, ytr, Xte, classes)),
        ("probe_tau1", lambda: probe_tau1(Xtr, ytr, Xte, classes, prior)),
    ):
        t0 = time.perf_counter()
        pred, extra = fit()
        results[name] = {**scores(yte, pred), **extra, "seconds": round(time.perf_counter() - t0, 3)}
    out.update(results)
    best = max(results, key=lambda k: results[k]["macro_f1"])
    out["best"] = results[best]["macro_f1"]
    out["best_classifier"] = best

    text = json.dumps(out, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
