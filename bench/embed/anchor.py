#!/usr/bin/python3
"""Native anchor for the embed benchmark: PyTorch MobileNetV2 on the CPU, as a Python user would run it.

    /usr/bin/python3 bench/embed/anchor.py --dir bench/.data/embed-jpegs [--images 64] [--repeats 5]

Needs Debian's python3-torch, python3-torchvision and python3-opencv (use /usr/bin/python3).

Model: torchvision.models.mobilenet_v2(weights=None).features, then adaptive average pooling to
1 x 1 and flatten -> 1280-d per image (what torchvision's own forward does before the classifier,
and what the seed's `Sequential(*children()[:-1])` + `.mean(axis=(2, 3))` computes). Random
weights: the speed does not depend on them. model.eval(), torch.inference_mode(),
torch.set_num_threads(os.cpu_count()). Two memory layouts: "contiguous" (PyTorch's default NCHW)
and "channels_last" (model.to(memory_format=torch.channels_last), input likewise).

Figures (images per second, median over --repeats, layouts and batch sizes interleaved per repeat
so that machine drift hits them alike; every shape is warmed up --warmup times first):

  model      model only: a fixed random float32 input of batch B (--batches, default 1,8,32), one
             timed unit = ceil(32 / B) forwards (at least 32 images).
  decode     the seed notebook's decode-and-resize path (DataRetriever.__getitem__ + transforms)
             over the JPEGs, no model: cv2.imread (BGR), cv2.resize(img, (224, 224)) (default
             INTER_LINEAR), cv2.cvtColor(BGR2RGB), albumentations' Normalize (ImageNet mean/std,
             max_pixel_value 255, in float32) written out in numpy, ToTensorV2's HWC -> CHW.
             Also `imread` alone, for where the time goes.
  e2e        end to end, one process, one thread of Python: per batch of --batch (32) paths, the
             decode path above for each image, torch.stack (DataLoader's collate), forward.
  loader     extra: the seed's own structure, torch.utils.data.DataLoader(batch_size=32,
             num_workers=os.cpu_count(), persistent workers, one untimed epoch first), so decoding
             runs in worker processes while the main process runs the model.

The files are read once before any timing (page cache). Prints one JSON object on stdout.
"""

import argparse
import glob
import json
import math
import os
import platform
import statistics
import sys
import time

import cv2
import numpy as np
import torch
import torch.utils.data as torch_data
import torchvision

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32) * 255.0
INV_STD = 1.0 / (np.array([0.229, 0.224, 0.225], dtype=np.float32) * 255.0)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def decode(path: str, normalize: str) -> torch.Tensor:
    """The seed's DataRetriever.__getitem__ with get_transforms(): 3 x 224 x 224 float32."""
    img = cv2.imread(path)
    if img is None:
        raise RuntimeError(f"cv2.imread could not read {path}")
    img = cv2.resize(img, (224, 224))
    img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    if normalize == "imagenet":  # albumentations.Normalize(mean, std, max_pixel_value=255.0)
        img = img.astype(np.float32)
        img -= MEAN
        img *= INV_STD
    else:  # "tf": the browser model's input range, x / 127.5 - 1
        img = img.astype(np.float32) / 127.5 - 1.0
    return torch.from_numpy(img.transpose(2, 0, 1))  # ToTensorV2: HWC -> CHW (a view)


class Retriever(torch_data.Dataset):
    def __init__(self, paths, normalize):
        self.paths = paths
        self.normalize = normalize

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, index):
        return decode(self.paths[index], self.normalize)


class Embedder(torch.nn.Module):
    """mobilenet_v2(weights=None).features + global average pooling -> (N, 1280)."""

    def __init__(self):
        super().__init__()
        self.features = torchvision.models.mobilenet_v2(weights=None).features

    def forward(self, x):
        x = self.features(x)
        return torch.nn.functional.adaptive_avg_pool2d(x, (1, 1)).flatten(1)


def to_layout(x: torch.Tensor, layout: str) -> torch.Tensor:
    return x.contiguous(memory_format=torch.channels_last) if layout == "channels_last" else x.contiguous()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".data", "embed-jpegs"))
    ap.add_argument("--images", type=int, default=64, help="use the first N JPEGs of --dir (sorted)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--batches", default="1,8,32", help="model-only batch sizes")
    ap.add_argument("--batch", type=int, default=32, help="end-to-end batch size")
    ap.add_argument("--layouts", default="contiguous,channels_last")
    ap.add_argument("--normalize", choices=["imagenet", "tf"], default="imagenet")
    ap.add_argument("--no-loader", action="store_true", help="skip the DataLoader figure")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    layouts = [s for s in args.layouts.split(",") if s]
    batches = [int(s) for s in args.batches.split(",") if s]
    paths = sorted(glob.glob(os.path.join(args.dir, "*.jpg")))[: args.images]
    if len(paths) < args.images:
        raise SystemExit(f"only {len(paths)} JPEGs in {args.dir}, need {args.images}")

    t_import_done = time.perf_counter()
    base = Embedder().eval()
    models = {}
    for layout in layouts:
        m = Embedder().eval()
        m.load_state_dict(base.state_dict())
        if layout == "channels_last":
            m = m.to(memory_format=torch.channels_last)
        models[layout] = m

    # Page cache: read every file once.
    for p in paths:
        with open(p, "rb") as f:
            f.read()

    gen = torch.Generator().manual_seed(1)
    inputs = {b: torch.randn(b, 3, 224, 224, generator=gen) for b in batches}
    runs = {"model": {}, "decode": [], "imread": [], "e2e": {}, "loader": {}}
    check = {}

    def timed_model(layout, b):
        m = models[layout]
        x = to_layout(inputs[b], layout)
        iters = math.ceil(32 / b)
        t = time.perf_counter()
        for _ in range(iters):
            y = m(x)
        dt = time.perf_counter() - t
        assert y.shape == (b, 1280)
        return iters * b / dt

    def decode_all():
        t = time.perf_counter()
        for p in paths:
            decode(p, args.normalize)
        return len(paths) / (time.perf_counter() - t)

    def imread_all():
        t = time.perf_counter()
        for p in paths:
            cv2.imread(p)
        return len(paths) / (time.perf_counter() - t)

    def e2e(layout, keep=False):
        m = models[layout]
        out = []
        t = time.perf_counter()
        for i in range(0, len(paths), args.batch):
            x = torch.stack([decode(p, args.normalize) for p in paths[i : i + args.batch]])
            y = m(to_layout(x, layout))
            if keep:
                out.append(y)
        dt = time.perf_counter() - t
        return len(paths) / dt, (torch.cat(out) if keep else None)

    with torch.inference_mode():
        t_warm = time.perf_counter()
        for layout in layouts:
            for b in batches:
                for _ in range(args.warmup):
                    timed_model(layout, b)
        decode_all()  # warms cv2 (and the page cache again)
        for layout in layouts:
            _, emb = e2e(layout, keep=True)  # warm-up with the e2e shapes, and a cross-check
            check[layout] = emb
        warmup_seconds = time.perf_counter() - t_warm

        for rep in range(args.repeats):
            for layout in layouts:
                for b in batches:
                    runs["model"].setdefault(f"{layout}/{b}", []).append(timed_model(layout, b))
            runs["decode"].append(decode_all())
            runs["imread"].append(imread_all())
            for layout in layouts:
                runs["e2e"].setdefault(layout, []).append(e2e(layout)[0])

    # DataLoader figure: the seed's structure with workers (outside inference_mode for the
    # workers' sake; the forward runs under it).
    if not args.no_loader:
        nw = os.cpu_count() or 1
        loader = torch_data.DataLoader(
            Retriever(paths, args.normalize), batch_size=args.batch, shuffle=False, num_workers=nw, persistent_workers=nw > 0
        )
        for layout in layouts:
            m = models[layout]

            def epoch():
                t = time.perf_counter()
                n = 0
                with torch.inference_mode():
                    for x in loader:
                        y = m(to_layout(x, layout))
                        n += y.shape[0]
                return n / (time.perf_counter() - t)

            epoch()  # workers started, shapes warm
            runs["loader"][layout] = [epoch() for _ in range(max(1, min(args.repeats, 3)))]
        del loader

    med = lambda xs: statistics.median(xs) if xs else None  # noqa: E731
    diff = rel = None
    if "contiguous" in check and "channels_last" in check:
        diff = float((check["contiguous"] - check["channels_last"]).abs().max())
        rel = diff / max(float(check["contiguous"].abs().max()), 1e-30)
    emb = next(iter(check.values()))
    result = {
        "imagesPerSecond": {
            "model": {k: med(v) for k, v in runs["model"].items()},
            "decode": med(runs["decode"]),
            "imread": med(runs["imread"]),
            "e2e": {k: med(v) for k, v in runs["e2e"].items()},
            "loader": {k: med(v) for k, v in runs["loader"].items()},
        },
        "runs": runs,
        "images": len(paths),
        "dir": os.path.abspath(args.dir),
        "bytes": sum(os.path.getsize(p) for p in paths),
        "imageSize": list(cv2.imread(paths[0]).shape),
        "batch": args.batch,
        "batches": batches,
        "layouts": layouts,
        "repeats": args.repeats,
        "warmup": args.warmup,
        "warmupSeconds": round(warmup_seconds, 3),
        "normalize": args.normalize,
        "loaderWorkers": None if args.no_loader else (os.cpu_count() or 1),
        "embedding": {"shape": list(emb.shape), "finite": bool(torch.isfinite(emb).all()), "layoutMaxAbsDiff": diff, "layoutMaxRelDiff": rel, "meanAbs": float(emb.abs().mean())},
        "threads": torch.get_num_threads(),
        "interopThreads": torch.get_num_interop_threads(),
        "cpuCount": os.cpu_count(),
        "cpu": cpu_model(),
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "opencv": cv2.__version__,
        "opencvThreads": cv2.getNumThreads(),
        "numpy": np.__version__,
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
        "cpuCapability": next((l.split(":", 1)[1].strip() for l in torch.__config__.show().splitlines() if "CPU capability" in l), None),
        "seconds": round(time.perf_counter() - t_import_done, 3),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
