"""NumPy anchor for bench:classify: the same NCM-cosine scoring of test rows against the same
prototypes (prior added), chunked, argmax per row. Reads raw float32 files written by run.mjs."""
import json, sys, time
import numpy as np

d = json.loads(sys.argv[1])
D, C = d["dim"], d["classes"]
P = np.fromfile(d["prototypes"], dtype=np.float32).reshape(C, D)
bias = np.fromfile(d["bias"], dtype=np.float32)  # s-scaled model: weights already scaled; bias = prior (−inf for empty)
X = np.fromfile(d["queries"], dtype=np.float32).reshape(-1, D)
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
pred.tofile(d["out"])
import os
print(json.dumps({"seconds": seconds, "rows": int(X.shape[0]), "numpy": np.__version__, "threads": os.environ.get("OMP_NUM_THREADS", "default")}))
