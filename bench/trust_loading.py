"""Loading hostile model files: time and peak memory of ``load_model`` on each (issue 15).

    python bench/trust_loading.py [--src SRC ...] [--cap-gb 3] [--timeout 120] [--cases nested ...]

Builds each file once (with ``zipfile`` and ``json`` only, so any scratchnn version reads the
same bytes), then loads it in a fresh process per case and per ``--src`` (a ``src`` folder to
put first on ``PYTHONPATH``: the code before and after a change), with the address space
capped at ``--cap-gb`` GiB and a wall-clock ``--timeout``, and prints what happened, the time
and the peak resident memory above the process's memory once scratchnn is imported:

* ``bomb``: a small valid model whose ``model.safetensors`` is 1 GiB of zero bytes, deflated;
* ``kernel``: a valid ``Dense(16384)`` on 16384 inputs, its 1 GiB kernel of zeros deflated;
* ``stored``: a valid ``Dense(8192)`` on 8192 inputs (256 MiB kernel), stored as scratchnn writes it;
* ``nested``: 200,000 layers in 20 nested ``Sequential`` models;
* ``dev-zero``: a symlink to ``/dev/zero`` (``load_model`` and ``load_weights``);
* ``fifo``: a FIFO with no writer.
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import zipfile

STAMP = (1980, 1, 1, 0, 0, 0)
METADATA = {"format": "scratchnn.model", "format_version": 1, "scratchnn_version": "0.1.0",
            "created": "2026-12-06T00:00:00+00:00"}


def dense_spec(rows, cols):
    layer = {"class_name": "Dense", "config": {"name": "big", "trainable": True, "dtype": "float32",
                                                "input_shape": [rows], "units": cols, "activation": "linear",
                                                "use_bias": True}}
    return {"class_name": "Sequential", "config": {"name": "m", "trainable": True, "layers": [layer]},
            "build_input_shape": [None, rows], "compile_config": None,
            "weights": [{"key": "0000/big/kernel", "shape": [rows, cols], "dtype": "float32"},
                        {"key": "0001/big/bias", "shape": [cols], "dtype": "float32"}]}


def safetensors_header(tensors):
    """The header of a safetensors file holding ``[(key, shape)]`` float32 tensors, in order."""
    header, offset = {}, 0
    for key, shape in tensors:
        size = 4
        for d in shape:
            size *= d
        header[key] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text, offset


def write_model(path, spec, head, zeros, compress):
    """metadata + config (deflated) + model.safetensors = ``head`` then ``zeros`` zero bytes."""
    with zipfile.ZipFile(path, "w", compresslevel=9) as zf:
        for name, payload in (("metadata.json", METADATA), ("config.json", spec)):
            zf.writestr(zipfile.ZipInfo(name, STAMP), json.dumps(payload), compress_type=zipfile.ZIP_DEFLATED)
        info = zipfile.ZipInfo("model.safetensors", STAMP)
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        with zf.open(info, "w", force_zip64=True) as member:
            member.write(head)
            chunk = bytes(2**20)
            for start in range(0, zeros, len(chunk)):
                member.write(chunk[:zeros - start])
    return path


def make_files(folder):
    files = {}
    small = dense_spec(3, 2)
    head, _ = safetensors_header([("0000/big/kernel", [3, 2]), ("0001/big/bias", [2])])
    files["bomb"] = write_model(os.path.join(folder, "bomb.scratchnn"), small, b"", 2**30, compress=True)
    n = 16384
    head, size = safetensors_header([("0000/big/kernel", [n, n]), ("0001/big/bias", [n])])
    files["kernel"] = write_model(os.path.join(folder, "kernel.scratchnn"), dense_spec(n, n), head, size,
                                  compress=True)
    n = 8192
    head, size = safetensors_header([("0000/big/kernel", [n, n]), ("0001/big/bias", [n])])
    files["stored"] = write_model(os.path.join(folder, "stored.scratchnn"), dense_spec(n, n), head, size,
                                  compress=False)
    relu = {"class_name": "ReLU", "config": {}}          # the shortest layer config: 200,000 fit in 16 MiB
    inner = [{"class_name": "Sequential", "config": {"name": f"inner_{i}", "trainable": True,
                                                     "layers": [relu] * 10_000}} for i in range(20)]
    nested = {"class_name": "Sequential", "config": {"name": "outer", "trainable": True, "layers": inner,
                                                     "input_shape": [3]},
              "build_input_shape": [None, 3], "compile_config": None, "weights": []}
    head, _ = safetensors_header([])
    files["nested"] = write_model(os.path.join(folder, "nested.scratchnn"), nested, head, 0, compress=True)
    files["dev-zero"] = os.path.join(folder, "zero.scratchnn")
    os.symlink("/dev/zero", files["dev-zero"])
    files["fifo"] = os.path.join(folder, "fifo.scratchnn")
    os.mkfifo(files["fifo"])
    return files


CHILD = r"""
import json, os, resource, sys, time
cap, what, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
import scratchnn as snn
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
t = time.perf_counter()
try:
    if what == "load_weights":
        model = snn.Sequential([snn.layers.Dense(2, input_shape=(3,))])
        model.load_weights(path)
    else:
        snn.models.load_model(path)
    outcome = "loaded"
except BaseException as e:
    outcome = f"{type(e).__name__}: {str(e)[:400]}"
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"outcome": outcome, "seconds": seconds, "peak_mb": (peak - base) / 1024}))
"""


def run_case(src, what, path, cap, timeout):
    env = dict(os.environ, PYTHONPATH=src, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    try:
        proc = subprocess.run([sys.executable, "-c", CHILD, str(cap), what, path], env=env,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"outcome": f"timeout (still running after {timeout} s)", "seconds": float(timeout),
                "peak_mb": float("nan")}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {"outcome": f"died (exit {proc.returncode}): {proc.stderr.strip()[-300:]}",
                "seconds": float("nan"), "peak_mb": float("nan")}
    return json.loads(lines[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", action="append", help="a src folder (repeatable); default: this checkout's")
    parser.add_argument("--cap-gb", type=float, default=3.0)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--fifo-timeout", type=float, default=15.0)
    parser.add_argument("--cases", nargs="*", help="only these: bomb kernel stored nested dev-zero fifo")
    args = parser.parse_args()
    sources = args.src or [os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")]
    cap = int(args.cap_gb * 2**30)
    with tempfile.TemporaryDirectory() as folder:
        files = make_files(folder)
        cases = [(name, "load_model", path) for name, path in files.items()]
        cases.insert(cases.index(("dev-zero", "load_model", files["dev-zero"])) + 1,
                     ("dev-zero", "load_weights", files["dev-zero"]))
        for name, what, path in cases:
            if args.cases and name not in args.cases:
                continue
            size = os.path.getsize(path) if os.path.isfile(path) and not os.path.islink(path) else 0
            for src in sources:
                timeout = args.fifo_timeout if name == "fifo" else args.timeout
                result = run_case(src, what, path, cap, timeout)
                print(json.dumps({"case": name, "call": what, "file_bytes": size, "src": src, **result}),
                      flush=True)


if __name__ == "__main__":
    main()
