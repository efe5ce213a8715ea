#!/usr/bin/env python3
# Optional native peers: scikit-learn KMeans (lloyd) and OpenCV cv.kmeans on the work of
# bench/suites/peers.ts. Usage: python3 bench/peers.py [--repeats N]
import json
import os
import sys
import time

# Reads bench/results/init.json, which `npm run bench` writes: the image, K, the initial centroids and
# the number of assignment passes (20), plus kmeans-seg's own time on that image as the baseline.
# Prints a markdown table of times, rates (G distance evaluations/s = pixels x K x passes / s) and
# inertia differences. Exits 0 with a note when neither peer is installed
# (Debian: apt-get install python3-sklearn python3-opencv; run with /usr/bin/python3).
#
# Both peers use every core (OpenMP / OpenCV's parallel_for_); kmeans-seg's baseline is one thread.
# To time scikit-learn against a current OpenBLAS, unset OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for
# this command only (see the machine notes); the threadpool line shows what ran.

HERE = os.path.dirname(os.path.abspath(__file__))
INIT = os.path.join(HERE, "results", "init.json")


def missing_note(names):
    return ", ".join(f"{mod} (Debian package {pkg})" for mod, pkg in names)


def median(xs):
    s = sorted(xs)
    m = len(s) // 2
    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2


def read_rgb(path, cv2):
    """The image as an (N, 3) uint8 RGB array, through OpenCV or Pillow, whichever is installed."""
    import numpy as np

    if cv2 is not None:
        bgr = cv2.imread(path, cv2.IMREAD_COLOR)
        if bgr is None:
            raise SystemExit(f"OpenCV could not read {path}")
        return np.ascontiguousarray(bgr[:, :, ::-1]).reshape(-1, 3)
    try:
        from PIL import Image
    except ImportError:
        return None
    Image.MAX_IMAGE_PIXELS = None
    return np.asarray(Image.open(path).convert("RGB")).reshape(-1, 3)


def label_inertia(x, labels, k):
    """Same figure as labelInertia() in bench/lib.ts: each cluster's mean as its centroid, f64."""
    import numpy as np

    labels = labels.reshape(-1)
    counts = np.bincount(labels, minlength=k).astype(np.float64)
    means = np.stack([np.bincount(labels, weights=x[:, d], minlength=k) for d in range(3)], axis=1)
    means /= np.maximum(counts, 1)[:, None]
    diff = x - means[labels]
    return float(np.einsum("ij,ij->", diff, diff))


def nearest(x, centers, chunk=1 << 20):
    """Labels of the nearest centre (lowest index on ties, as kmeans-seg and OpenCV), exact in f64."""
    import numpy as np

    out = np.empty(len(x), dtype=np.int32)
    for s in range(0, len(x), chunk):
        d = ((x[s:s + chunk, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
        out[s:s + chunk] = d.argmin(axis=1)
    return out


def run_sklearn(x, init, passes):
    import numpy as np
    from sklearn.cluster import KMeans

    # scikit-learn's max_iter counts assign+update steps and then re-assigns once more so the labels
    # match the centres: max_iter = passes - 1 gives the same `passes` assignment passes as
    # kmeans-seg's maxIterations, and the same labels.
    km = KMeans(n_clusters=len(init), init=np.asarray(init, dtype=np.float64), n_init=1,
                max_iter=passes - 1, tol=0, algorithm="lloyd")
    t0 = time.perf_counter()
    km.fit(x)
    seconds = time.perf_counter() - t0
    ran = km.n_iter_ + 1 if km.n_iter_ == passes - 1 else km.n_iter_
    return seconds, ran, km.labels_


def run_opencv(x, init, passes):
    import cv2
    import numpy as np

    # cv.kmeans takes no initial centres, only initial labels: the first pass (nearest initial
    # centroid) runs here in numpy and is timed with it; then `passes` - 1 passes in OpenCV.
    x32 = x.astype(np.float32)
    t0 = time.perf_counter()
    labels0 = nearest(x, np.asarray(init, dtype=np.float64)).reshape(-1, 1)
    criteria = (cv2.TERM_CRITERIA_MAX_ITER + cv2.TERM_CRITERIA_EPS, passes, 0.0)
    _, labels, _ = cv2.kmeans(x32, len(init), labels0, criteria, 1, cv2.KMEANS_USE_INITIAL_LABELS)
    seconds = time.perf_counter() - t0
    return seconds, passes, labels


def main():
    repeats = 3
    args = sys.argv[1:]
    if args[:1] == ["--repeats"] and len(args) == 2 and args[1].isdigit():
        repeats = max(1, int(args[1]))
    elif args:
        raise SystemExit("usage: python3 bench/peers.py [--repeats N]")

    try:
        import numpy as np
    except ImportError:
        print(f"peers.py: skipped, {missing_note([('numpy', 'python3-numpy')])} is not installed for {sys.executable}")
        return 0
    try:
        import sklearn
    except ImportError:
        sklearn = None
    try:
        import cv2
    except ImportError:
        cv2 = None
    absent = [p for p, mod in ((("scikit-learn", "python3-sklearn"), sklearn), (("OpenCV", "python3-opencv"), cv2)) if mod is None]
    if len(absent) == 2:
        print(f"peers.py: skipped, neither peer is installed for {sys.executable}: {missing_note(absent)}")
        return 0
    if not os.path.exists(INIT):
        print(f"peers.py: {INIT} not found: run `npm run bench` (or `npm run bench -- --only=peers`) first")
        return 1

    with open(INIT) as f:
        spec = json.load(f)
    rgb = read_rgb(spec["image"], cv2)
    if rgb is None:
        print(f"peers.py: skipped, no PNG reader: {missing_note([('OpenCV', 'python3-opencv'), ('Pillow', 'python3-pil')])}")
        return 0
    x = rgb.astype(np.float64)
    n, k, passes, init = len(x), spec["k"], spec["iterations"], spec["centroids"]
    print(f"Load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}; {os.cpu_count()} cores; Python {sys.version.split()[0]}")
    try:
        from threadpoolctl import threadpool_info
        for p in threadpool_info():
            print(f"  threadpool: {p.get('internal_api')} {p.get('version')} {p.get('num_threads')} threads {p.get('architecture', '')}")
    except ImportError:
        pass
    print(f"{os.path.basename(spec['image'])}: {spec['width']}x{spec['height']}, K={k}, {passes} passes, {repeats} runs each")
    for name, _ in absent:
        print(f"  {name}: not installed, skipped")

    seg = spec.get("kmeansSeg")
    rows = []
    if seg:
        rows.append(("kmeans-seg (1 thread, from npm run bench)", seg["seconds"], seg["passes"], seg["rate"], seg["labelInertia"]))
    peers = []
    if sklearn is not None:
        peers.append((f"scikit-learn {sklearn.__version__} lloyd", run_sklearn))
    if cv2 is not None:
        peers.append((f"OpenCV {cv2.__version__} kmeans", run_opencv))
    for name, fn in peers:
        times, ran, labels = [], passes, None
        for _ in range(repeats):
            seconds, ran, labels = fn(x, init, passes)
            times.append(seconds)
            print(f"  {name}: {seconds:.3f} s")
        t = median(times)
        rows.append((name, t, ran, n * k * ran / t / 1e9, label_inertia(x, np.asarray(labels), k)))

    ref = seg["labelInertia"] if seg else None
    print("\n| implementation | median | passes | G/s | kmeans-seg speedup | inertia rel. diff |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, t, ran, rate, inertia in rows:
        speedup = f"{seg['rate'] / rate:.2f}x" if seg and not name.startswith("kmeans-seg") else ""
        diff = f"{abs(inertia - ref) / max(abs(ref), 1e-300):.1e}" if ref is not None else ""
        print(f"| {name} | {t:.3f} s | {ran} | {rate:.3f} | {speedup} | {diff} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
