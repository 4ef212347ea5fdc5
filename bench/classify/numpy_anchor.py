"""NumPy anchor for bench:classify: the same NCM-cosine scoring of the same test rows against the
app's prototypes (normalised, times the app's temperature s, plus the app's bias at the chosen τ),
1,024-row chunks, argmax per row. Reads raw files written by run.mjs; prints one JSON line.

    python3 numpy_anchor.py '{"dim": 96, "classes": 15501, "scale": 31.7, "prototypes": "...f32",
                              "bias": "...f32", "queries": "...f32", "rows": 210407, "out": "...i32"}'
"""
import json, os, resource, sys, time
import numpy as np

d = json.loads(sys.argv[1])
D, C = d["dim"], d["classes"]
P = np.fromfile(d["prototypes"], dtype=np.float32).reshape(C, D)
bias = np.fromfile(d["bias"], dtype=np.float32)  # the app's prior term at τ (−inf for a class without train rows)
rows = int(d["rows"])
X = np.fromfile(d["queries"], dtype=np.float32, count=rows * D).reshape(rows, D)
ru0 = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.perf_counter()
W = P / np.maximum(np.linalg.norm(P, axis=1, keepdims=True), 1e-30) * np.float32(d["scale"])
pred = np.empty(X.shape[0], dtype=np.int32)
chunk = 1024
for i in range(0, X.shape[0], chunk):
    x = X[i : i + chunk]
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-30)
    s = x @ W.T
    s += bias
    pred[i : i + chunk] = np.argmax(s, axis=1)
seconds = time.perf_counter() - t0
ru1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)  # every thread of the process (OpenBLAS's too)
pred.tofile(d["out"])

max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # the scoring's, before the parts below

# Where NumPy's time goes (asked with "parts": rows), on the first rows in the same chunks, median
# of 3, into preallocated buffers: the matmul alone (x @ W.T), then the bias and the argmax on its
# output; the scoring loop above also normalises each chunk and allocates its scores.
parts = None
if d.get("parts"):
    n = min(int(d["parts"]), X.shape[0])
    xs = [X[i : i + chunk] / np.maximum(np.linalg.norm(X[i : i + chunk], axis=1, keepdims=True), 1e-30) for i in range(0, n, chunk)]
    buf = np.empty((chunk, C), dtype=np.float32)
    buf2 = np.empty((chunk, C), dtype=np.float32)
    WT = W.T

    def timed(f):
        ts = []
        for _ in range(3):
            r0 = resource.getrusage(resource.RUSAGE_SELF)
            t = time.perf_counter()
            f()
            t = time.perf_counter() - t
            r1 = resource.getrusage(resource.RUSAGE_SELF)
            ts.append((t, ((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)) / t))
        return sorted(ts)[1]

    def matmul():
        for x in xs:
            np.matmul(x, WT, out=buf[: len(x)])

    def bias_argmax():
        for x in xs:
            np.add(buf[: len(x)], bias, out=buf2[: len(x)])
            np.argmax(buf2[: len(x)], axis=1)

    mm, mm_cores = timed(matmul)
    ba, ba_cores = timed(bias_argmax)
    parts = {"rows": n, "matmul": mm, "matmulCores": mm_cores, "biasArgmax": ba, "biasArgmaxCores": ba_cores}

# The BLAS actually loaded (numpy links the system's libblas.so.3, an alternatives link).
blas = "unknown"
try:
    with open("/proc/self/maps") as f:
        libs = {os.path.basename(line.split()[-1]) for line in f if "blas" in line.lower() and "/" in line}
    blas = ", ".join(sorted(x for x in libs if "openblas" in x or "mkl" in x or "atlas" in x) or sorted(libs)) or blas
except OSError:
    pass
print(json.dumps({
    "seconds": seconds,
    "rows": int(X.shape[0]),
    "numpy": np.__version__,
    "blas": blas,
    "threads": os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS") or f"default threads, {os.cpu_count()} CPUs",
    "cores": cpu / seconds if seconds > 0 else None,
    "maxRssBytes": max_rss,
    "parts": parts,
}))
