#!/usr/bin/env python3
"""Checks a soak run's downloads against its metadata, with NumPy (not the app's own reader).

    python3 bench/soak/check.py METADATA EMBEDDINGS_NPZ PROTOTYPES_NPZ [CONTROL_EMBEDDINGS_NPZ]

Prints one JSON object:
- ids: rows in embeddings.npz, ids seen twice or more (doubled), metadata ids without a row (lost),
  rows whose id is not in the metadata (extra), rows all zero or not finite (bad);
- classes: per class, prototypes.npz `count` against the train-split rows of that class in
  embeddings.npz and against the metadata (count + held-out rows = the class's images);
  the largest |prototype − mean of the class's train rows| (a row counted twice or lost moves it);
- control (optional): rows of the same image ids in an uninterrupted run, largest |difference|.
"""
import json
import sys
from collections import Counter

import numpy as np


def main(meta_file, emb_file, proto_file, control_file=None):
    meta = json.load(open(meta_file))
    cat_of = {a["image_id"]: a["category_id"] for a in meta["annotations"]}
    per_class = Counter(cat_of.values())

    e = np.load(emb_file)
    emb = e["embeddings"].astype(np.float32)
    ids = [str(x) for x in e["image_id"]]
    cats = e["category_id"].astype(np.int64)
    split = [str(x) for x in e["split"]]
    seen = Counter(ids)
    doubled = sorted(i for i, n in seen.items() if n > 1)
    lost = sorted(set(cat_of) - set(seen))
    extra = sorted(set(seen) - set(cat_of))
    finite = np.isfinite(emb).all(axis=1)
    zero = ~(np.abs(emb) > 0).any(axis=1)
    bad = [ids[i] for i in np.nonzero(~finite | zero)[0]]
    wrong_class = [i for i, c in zip(ids, cats) if i in cat_of and cat_of[i] != int(c)]

    p = np.load(proto_file)
    protos = p["prototypes"].astype(np.float64)
    pcat = p["category_id"].astype(np.int64)
    pcount = p["count"].astype(np.int64)
    train = np.array([s == "train" for s in split])
    heldout = np.array([s == "heldout" for s in split])
    count_vs_rows = []
    count_vs_meta = []
    max_diff = 0.0
    max_norm = 0.0
    for k, c in enumerate(pcat):
        rows = (cats == c) & train
        n_rows = int(rows.sum())
        n_held = int(((cats == c) & heldout).sum())
        if int(pcount[k]) != n_rows:
            count_vs_rows.append({"category_id": int(c), "count": int(pcount[k]), "train_rows": n_rows})
        if int(pcount[k]) + n_held != per_class.get(int(c), 0):
            count_vs_meta.append({"category_id": int(c), "count": int(pcount[k]), "heldout_rows": n_held, "metadata_images": per_class.get(int(c), 0)})
        if n_rows:
            mean = emb[rows].astype(np.float64).mean(axis=0)
            max_diff = max(max_diff, float(np.abs(protos[k] - mean).max()))
            max_norm = max(max_norm, float(np.abs(mean).max()))
    out = {
        "rows": len(ids),
        "dim": int(emb.shape[1]) if emb.ndim == 2 else None,
        "dtype": str(e["embeddings"].dtype),
        "metadataImages": len(cat_of),
        "doubled": len(doubled),
        "doubledIds": doubled[:20],
        "lost": len(lost),
        "lostIds": lost[:20],
        "extra": len(extra),
        "badRows": len(bad),
        "badIds": bad[:20],
        "wrongClass": len(wrong_class),
        "splits": dict(Counter(split)),
        "classes": int(len(pcat)),
        "countVsTrainRows": count_vs_rows[:20],
        "countVsTrainRowsClasses": len(count_vs_rows),
        "countVsMetadata": count_vs_meta[:20],
        "countVsMetadataClasses": len(count_vs_meta),
        "prototypeMaxAbsDiff": max_diff,
        "prototypeMaxAbs": max_norm,
    }
    if control_file:
        c = np.load(control_file)
        cemb = c["embeddings"].astype(np.float32)
        cids = [str(x) for x in c["image_id"]]
        row_of = {i: k for k, i in enumerate(ids)}
        common = [(row_of[i], k) for k, i in enumerate(cids) if i in row_of]
        if common:
            a = emb[[r for r, _ in common]]
            b = cemb[[k for _, k in common]]
            diff = np.abs(a - b)
            out["control"] = {
                "rows": len(cids),
                "compared": len(common),
                "missingInSoak": len(cids) - len(common),
                "maxAbsDiff": float(diff.max()),
                "maxRowRelDiff": float((np.linalg.norm(a - b, axis=1) / np.maximum(np.linalg.norm(b, axis=1), 1e-12)).max()),
                "rowsDifferingOver1e-3": int(((diff.max(axis=1)) > 1e-3).sum()),
            }
        else:
            out["control"] = {"rows": len(cids), "compared": 0}
    ok = not doubled and not lost and not extra and not bad and not wrong_class and not count_vs_rows and not count_vs_meta and max_diff <= 1e-4 * max(1.0, max_norm)
    if control_file and out["control"].get("compared"):
        ok = ok and out["control"]["maxRowRelDiff"] <= 1e-3
    out["ok"] = bool(ok)
    print(json.dumps(out))


if __name__ == "__main__":
    main(*sys.argv[1:])
