"""ONNX export: how close onnxruntime comes to ``model.predict``, and how long an export takes.

    OPENBLAS_NUM_THREADS=1 python bench/export_onnx.py [--repeat 5]      (from the repository root)

For every layer case of tests/export/cases.py and the command line's three reference models
(the MNIST MLP, the CNN, the default GPT), it prints max |onnxruntime - predict| over a batch
of 1 and a batch of 37 samples (float32); for the reference models also the median time of
``model.export(path)`` over ``--repeat`` runs (graph built, checked by onnx.checker with full
shape inference, written atomically with fsync) and the file's size.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))      # for tests/


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args(argv)
    import numpy as np
    import onnx
    import onnxruntime

    from tests.export.cases import REFERENCE_MODELS, layer_cases
    from tests.export.helpers import differences

    print(f"numpy {np.__version__}, onnx {onnx.__version__}, onnxruntime {onnxruntime.__version__}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    print(f"\n{'layer case':<48} {'max |diff|, batch 1':>20} {'batch 37':>10}")
    for name, build in layer_cases():
        model, make_inputs = build()
        one, many = differences(model, make_inputs)
        print(f"{name:<48} {one:>20.2e} {many:>10.2e}")
    print(f"\n{'reference model':<16} {'params':>9} {'max |diff|, batch 1':>20} {'batch 37':>10} "
          f"{'export (median)':>16} {'file':>12}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, build in REFERENCE_MODELS.items():
            model, make_inputs = build()
            one, many = differences(model, make_inputs)
            path = os.path.join(tmp, f"{name}.onnx")
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                model.export(path)
                times.append(time.perf_counter() - start)
            print(f"{name:<16} {model.count_params():>9,} {one:>20.2e} {many:>10.2e} "
                  f"{statistics.median(times) * 1000:>13.1f} ms {os.path.getsize(path):>10,} B")


if __name__ == "__main__":
    main()
