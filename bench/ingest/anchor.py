#!/usr/bin/python3
"""Python anchor for the ingest benchmark: the seed notebook's loading path, timed.

    /usr/bin/python3 bench/ingest/anchor.py bench/.data/herbarium2022/train_metadata.json

Stages (as in the seed notebook, "herbarium-longtail-notebook"):
  load     json.load of train_metadata.json
  frame    ids / categories / paths lists -> pd.DataFrame({"id", "category", "path"});
           annotations are JOINED TO IMAGES BY image_id (a dict), not zipped by position
  names    d_categories / d_families / d_genus / d_species dicts, df["category"].map(...) x4
  counts   df_meta["category"].value_counts()

Prints one JSON line: seconds per stage and in total (time.perf_counter), peak RSS
(resource.getrusage(RUSAGE_SELF).ru_maxrss, KiB on Linux) and RSS after imports, plus the
figures the browser shows (images, classes, max and min class size) as a cross-check.
Needs Debian's python3-pandas: use /usr/bin/python3.
"""

import json
import os
import resource
import sys
import time

import pandas as pd


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", ".data", "herbarium2022", "train_metadata.json"
    )
    base_rss = rss_kib()
    stages = {}
    t_start = time.perf_counter()

    t = time.perf_counter()
    with open(path) as json_file:
        metadata = json.load(json_file)
    stages["load"] = time.perf_counter() - t

    t = time.perf_counter()
    category_of_image = {a["image_id"]: a["category_id"] for a in metadata["annotations"]}
    ids = []
    categories = []
    paths = []
    for image in metadata["images"]:
        image_id = image["image_id"]
        category = category_of_image.get(image_id)
        if category is None:  # an image without annotation is not a train image
            continue
        ids.append(image_id)
        categories.append(category)
        paths.append(image["file_name"])
    df_meta = pd.DataFrame({"id": ids, "category": categories, "path": paths})
    stages["frame"] = time.perf_counter() - t

    t = time.perf_counter()
    d_categories = {c["category_id"]: c["scientificName"] for c in metadata["categories"]}
    d_families = {c["category_id"]: c["family"] for c in metadata["categories"]}
    d_genus = {c["category_id"]: c["genus"] for c in metadata["categories"]}
    d_species = {c["category_id"]: c["species"] for c in metadata["categories"]}
    df_meta["category_name"] = df_meta["category"].map(d_categories)
    df_meta["family_name"] = df_meta["category"].map(d_families)
    df_meta["genus_name"] = df_meta["category"].map(d_genus)
    df_meta["species_name"] = df_meta["category"].map(d_species)
    stages["names"] = time.perf_counter() - t

    t = time.perf_counter()
    counts = df_meta["category"].value_counts()
    stages["counts"] = time.perf_counter() - t

    total = time.perf_counter() - t_start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "file": os.path.abspath(path),
                "bytes": os.path.getsize(path),
                "seconds": {k: round(v, 3) for k, v in stages.items()},
                "totalSeconds": round(total, 3),
                "peakRssKiB": peak,
                "baseRssKiB": base_rss,
                "peakRssDeltaKiB": peak - base_rss,
                "images": int(len(df_meta)),
                "classes": int(len(counts)),
                "families": int(df_meta["family_name"].nunique()),
                "genera": int(df_meta["genus_name"].nunique()),
                "maxClass": int(counts.max()),
                "minClass": int(counts.min()),
                "python": sys.version.split()[0],
                "pandas": pd.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
