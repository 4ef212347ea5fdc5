#!/usr/bin/python3
"""Scores submissions with scikit-learn, to check bench/effect/run.mjs's own scorer.

stdin: a JSON list of {"submission": path of submission.csv (Id,Predicted), "labels": path of the
answer key (image_id,category_id or Id,Predicted)}; stdout: a JSON list, one
{"macro_f1", "balanced_accuracy", "accuracy", "n"} per entry (f1_score(average='macro'),
balanced_accuracy_score, accuracy_score over the answer key's ids).
"""

import csv
import json
import sys

from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score


def pairs(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.reader(f) if r]
    return {r[0]: int(r[1]) for r in rows[1:]}


def main():
    out = []
    for job in json.load(sys.stdin):
        truth = pairs(job["labels"])
        pred = pairs(job["submission"])
        ids = list(truth)
        y_true = [truth[i] for i in ids]
        y_pred = [pred[i] for i in ids]
        out.append({
            "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
            "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred)),
            "accuracy": float(accuracy_score(y_true, y_pred)),
            "n": len(ids),
        })
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
