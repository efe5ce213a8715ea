#!/usr/bin/env python3
# Native K-means peers of the benchmark, from the same initial centroids for the same assignment
# passes as kmeans-seg: scikit-learn and FAISS on every pixel and on the colour histogram, and OpenCV.
# Usage:
#   /usr/bin/python3 bench/peers.py --serve [--threads N]   one JSON command a line on stdin, one JSON
#       answer a line on stdout (bench/suites/strongest.ts drives it, so that Python's start-up is
#       not timed and the runs of kmeans-seg and of each peer alternate)
#   /usr/bin/python3 bench/peers.py [--repeats N]           standalone, on bench/results/init.json's
#       image, against kmeans-seg's time saved there by `npm run bench -- --only=peers`
# A peer whose module is missing is skipped with the Debian package to install.
import json
import os
import sys
import time

# Before any OpenMP runtime loads: passive waiting, unless the caller chose. Spinning threads on a
# shared 2-core machine made FAISS 10-20x slower whenever another process held a core (bench/README.md).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

HERE = os.path.dirname(os.path.abspath(__file__))
INIT = os.path.join(HERE, "results", "init.json")
PACKAGES = {"numpy": "python3-numpy", "sklearn": "python3-sklearn", "faiss": "python3-faiss", "cv2": "python3-opencv"}
now = time.perf_counter


def median(xs):
    s = sorted(xs)
    m = len(s) // 2
    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2


def module(name):
    try:
        return __import__(name)
    except ImportError:
        return None


def label_inertia(rgb, labels, k, chunk=1 << 21):
    """labelInertia() of bench/lib.ts: each cluster's mean as its centroid, in f64, from the labels alone."""
    import numpy as np

    labels = np.asarray(labels).reshape(-1).astype(np.int64)
    counts = np.bincount(labels, minlength=k).astype(np.float64)
    means = np.stack([np.bincount(labels, weights=rgb[:, d], minlength=k) for d in range(3)], axis=1)
    means /= np.maximum(counts, 1)[:, None]
    total = 0.0
    for s in range(0, len(rgb), chunk):
        diff = rgb[s:s + chunk].astype(np.float64) - means[labels[s:s + chunk]]
        total += float(np.einsum("ij,ij->", diff, diff))
    return total


def histogram(rgb):
    """The savvy user's colour histogram: packed RGB, np.bincount over 2^24, the non-empty bins."""
    import numpy as np

    # In place, one int32 array: the fastest packing of those tried (shifts of three copies, a
    # matrix product, a uint32 view of padded pixels).
    packed = rgb[:, 0].astype(np.int32)
    packed <<= 8
    packed |= rgb[:, 1]
    packed <<= 8
    packed |= rgb[:, 2]
    counts = np.bincount(packed, minlength=1 << 24)
    keys = np.nonzero(counts)[0]
    colours = np.stack([keys >> 16, (keys >> 8) & 255, keys & 255], axis=1)
    return packed, keys, colours, counts[keys]


def through_lut(packed, keys, colour_labels):
    """Per-pixel labels from the colours' labels, through a 2^24 lookup table."""
    import numpy as np

    lut = np.zeros(1 << 24, dtype=np.int32)
    lut[keys] = colour_labels
    return lut[packed]


def sklearn_passes(km, passes):
    # max_iter counts assign+update steps and scikit-learn then re-assigns once more, so that the
    # labels match the centres: max_iter = passes - 1 runs `passes` assignment passes, unless the
    # labels stopped changing first (n_iter_ < max_iter).
    return km.n_iter_ + 1 if km.n_iter_ == passes - 1 else km.n_iter_


def sklearn_kmeans(init, passes):
    import numpy as np
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=len(init), init=np.asarray(init, dtype=np.float64), n_init=1,
                  max_iter=max(passes - 1, 1), tol=0, algorithm="lloyd")


def run_sklearn_hist(rgb, init, passes):
    import numpy as np

    t0 = now()
    packed, keys, colours, counts = histogram(rgb)
    t1 = now()
    km = sklearn_kmeans(init, passes).fit(colours.astype(np.float64), sample_weight=counts)
    t2 = now()
    labels = through_lut(packed, keys, km.labels_)
    t3 = now()
    stages = {"histogram": t1 - t0, "kmeans": t2 - t1, "labels": t3 - t2, "colours": int(len(keys))}
    return labels, km.cluster_centers_, sklearn_passes(km, passes), stages


def run_sklearn_pixels(rgb, init, passes):
    # The uint8 pixels as they are: scikit-learn converts them to float64 itself (timed, as a user sees it).
    km = sklearn_kmeans(init, passes).fit(rgb)
    return km.labels_, km.cluster_centers_, sklearn_passes(km, passes), {}


def faiss_train(points, weights, init, passes):
    """FAISS k-means from `init`: passes - 1 updates in train(), then one search for the last labels."""
    import faiss
    import numpy as np

    cp = faiss.ClusteringParameters()
    cp.niter = passes - 1
    cp.nredo = 1
    cp.verbose = False
    # FAISS samples 256 points per centroid unless told otherwise: every point takes part here.
    cp.max_points_per_centroid = 1 << 30
    cp.min_points_per_centroid = 1
    k = len(init)
    clus = faiss.Clustering(3, k, cp)
    faiss.copy_array_to_vector(np.asarray(init, dtype=np.float32).reshape(-1), clus.centroids)
    index = faiss.IndexFlatL2(3)
    clus.train(points, index, weights)
    _, labels = index.search(points, 1)
    return labels.reshape(-1), faiss.vector_float_to_array(clus.centroids).reshape(k, 3)


def run_faiss_pixels(rgb, init, passes):
    import numpy as np

    labels, centres = faiss_train(rgb.astype(np.float32), None, init, passes)
    return labels, centres, passes, {}


def run_faiss_hist(rgb, init, passes):
    import numpy as np

    t0 = now()
    packed, keys, colours, counts = histogram(rgb)
    t1 = now()
    colour_labels, centres = faiss_train(colours.astype(np.float32), counts.astype(np.float32), init, passes)
    t2 = now()
    labels = through_lut(packed, keys, colour_labels)
    t3 = now()
    return labels, centres, passes, {"histogram": t1 - t0, "kmeans": t2 - t1, "labels": t3 - t2, "colours": int(len(keys))}


def run_opencv(rgb, init, passes):
    import cv2
    import numpy as np

    # cv.kmeans takes initial labels, not centres: the first pass (nearest initial centroid, lowest
    # index on ties) runs here in numpy and is timed with OpenCV's other passes-1 (its maxCount counts
    # centre updates, and it assigns between them).
    x32 = rgb.astype(np.float32)
    c = np.asarray(init, dtype=np.float32)
    labels0 = np.empty(len(x32), dtype=np.int32)
    for s in range(0, len(x32), 1 << 20):
        labels0[s:s + (1 << 20)] = ((x32[s:s + (1 << 20), None, :] - c[None]) ** 2).sum(axis=2).argmin(axis=1)
    criteria = (cv2.TERM_CRITERIA_MAX_ITER + cv2.TERM_CRITERIA_EPS, passes, 0.0)
    _, labels, centres = cv2.kmeans(x32, len(init), labels0.reshape(-1, 1), criteria, 1, cv2.KMEANS_USE_INITIAL_LABELS)
    return labels.reshape(-1), centres, passes, {}


# name: (runner, module it needs, what the table calls it)
PEERS = {
    "sklearn-hist": (run_sklearn_hist, "sklearn", "scikit-learn {v} on the histogram (bincount, sample_weight, 2^24 lookup)"),
    "sklearn-pixels": (run_sklearn_pixels, "sklearn", "scikit-learn {v} on every pixel"),
    "faiss-pixels": (run_faiss_pixels, "faiss", "FAISS {v} on every pixel, no subsampling"),
    "faiss-hist": (run_faiss_hist, "faiss", "FAISS {v} on the histogram, with weights"),
    "opencv": (run_opencv, "cv2", "OpenCV {v} cv.kmeans on every pixel"),
}


def describe():
    """Which peers can run, their labels, the missing ones with their Debian package, the threadpools."""
    out = {"python": sys.version.split()[0], "peers": {}, "missing": {}, "threadpools": []}
    if module("numpy") is None:
        out["missing"] = {name: PACKAGES["numpy"] for name in PEERS}
        return out
    for name, (_, mod, label) in PEERS.items():
        m = module(mod)
        if m is None:
            out["missing"][name] = PACKAGES[mod]
        else:
            out["peers"][name] = label.format(v=getattr(m, "__version__", "?"))
    tp = module("threadpoolctl")
    if tp is not None:
        out["threadpools"] = [f"{p.get('internal_api')} {p.get('version')}: {p.get('num_threads')} threads" for p in tp.threadpool_info()]
    return out


def run_peer(rgb, cmd):
    """One timed run; the inertia check (outside the timing) only when asked, as it costs seconds at 12 MP."""
    runner = PEERS[cmd["peer"]][0]
    t0 = now()
    labels, centres, passes, stages = runner(rgb, cmd["init"], cmd["passes"])
    out = {"seconds": now() - t0, "passes": int(passes), "stages": stages}
    if cmd.get("check"):
        out["labelInertia"] = label_inertia(rgb, labels, len(cmd["init"]))
        out["palette"] = [[float(v) for v in c] for c in centres]
    return out


def set_threads(n):
    """Pin every threadpool (OpenMP, BLAS, FAISS's) to n threads; the parent also sets OMP_NUM_THREADS."""
    tp = module("threadpoolctl")
    limiter = tp.threadpool_limits(limits=n) if tp is not None else None
    faiss = module("faiss")
    if faiss is not None:
        faiss.omp_set_num_threads(n)
    return limiter


def serve(threads):
    import numpy as np

    limiter = set_threads(threads)  # noqa: F841 (held for the whole session)
    rgb = None
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            cmd = json.loads(line)
            op = cmd.get("op")
            if op == "hello":
                out = {**describe(), "threads": threads}
            elif op == "load":
                # Raw RGB bytes the parent decoded: both sides start from the very same pixels.
                rgb = np.fromfile(cmd["raw"], dtype=np.uint8).reshape(-1, 3)
                out = {"pixels": int(len(rgb))}
            elif op == "run":
                out = run_peer(rgb, cmd)
            elif op == "quit":
                break
            else:
                out = {"error": f"unknown op {op!r}"}
        except Exception as e:  # answer, so the parent can say which peer failed and go on
            out = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(out), flush=True)
    return 0


def read_rgb(path):
    """The image as (N, 3) uint8 RGB, through OpenCV or Pillow, whichever is installed."""
    import numpy as np

    cv2 = module("cv2")
    if cv2 is not None:
        bgr = cv2.imread(path, cv2.IMREAD_COLOR)
        return None if bgr is None else np.ascontiguousarray(bgr[:, :, ::-1]).reshape(-1, 3)
    pil = module("PIL.Image")
    if pil is None:
        return None
    from PIL import Image
    Image.MAX_IMAGE_PIXELS = None
    return np.asarray(Image.open(path).convert("RGB")).reshape(-1, 3)


def standalone(repeats):
    info = describe()
    for name, pkg in info["missing"].items():
        print(f"  {name}: not installed for {sys.executable}, skipped (Debian package {pkg})")
    if not info["peers"]:
        print("peers.py: skipped, no peer is installed")
        return 0
    if not os.path.exists(INIT):
        print(f"peers.py: {INIT} not found: run `npm run bench -- --only=peers` first")
        return 1
    with open(INIT) as f:
        spec = json.load(f)
    rgb = read_rgb(spec["image"])
    if rgb is None:
        print(f"peers.py: skipped, no PNG reader (Debian package {PACKAGES['cv2']} or python3-pil)")
        return 0
    k, passes, init = spec["k"], spec["iterations"], spec["centroids"]
    print(f"Load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}; {os.cpu_count()} cores; Python {info['python']}")
    for line in info["threadpools"]:
        print(f"  threadpool: {line}")
    print(f"{os.path.basename(spec['image'])}: {spec['width']}x{spec['height']}, K={k}, {passes} passes, {repeats} runs each")
    seg = spec.get("kmeansSeg")
    rows = [("kmeans-seg (1 thread, from npm run bench)", seg["seconds"], seg["passes"], seg["labelInertia"])] if seg else []
    for name, label in info["peers"].items():
        # A warm-up run first (imports, first-touch pages), which also gives the inertia check.
        check = run_peer(rgb, {"peer": name, "init": init, "passes": passes, "check": True})
        runs = [run_peer(rgb, {"peer": name, "init": init, "passes": passes}) for _ in range(repeats)]
        for r in runs:
            print(f"  {label}: {r['seconds']:.3f} s")
        rows.append((label, median([r["seconds"] for r in runs]), check["passes"], check["labelInertia"]))
    ref = seg["labelInertia"] if seg else None
    print("\n| implementation | median | passes | kmeans-seg speedup | inertia rel. diff |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, t, ran, inertia in rows:
        speedup = f"{t / seg['seconds']:.2f}x" if seg and not name.startswith("kmeans-seg") else ""
        diff = f"{abs(inertia - ref) / max(abs(ref), 1e-300):.1e}" if ref is not None else ""
        print(f"| {name} | {t:.3f} s | {ran} | {speedup} | {diff} |")
    return 0


def main():
    args = sys.argv[1:]
    if args[:1] == ["--serve"]:
        threads = int(args[2]) if args[1:2] == ["--threads"] and len(args) == 3 else os.cpu_count() or 1
        return serve(threads)
    if not args:
        return standalone(3)
    if args[:1] == ["--repeats"] and len(args) == 2 and args[1].isdigit():
        return standalone(max(1, int(args[1])))
    raise SystemExit("usage: python3 bench/peers.py [--repeats N] | --serve [--threads N]")


if __name__ == "__main__":
    sys.exit(main())
