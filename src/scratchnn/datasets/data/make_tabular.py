"""Regenerate the shipped tabular datasets from scikit-learn's bundled copies.

Run from the repository root (needs scikit-learn, imported in ``main`` only; the loaders in
``scratchnn.datasets.tabular`` never import it)::

    python src/scratchnn/datasets/data/make_tabular.py

Each file is a gzip-compressed CSV: one header line (the feature names, then ``target``), then
one line per sample. Features are written with Python's ``repr`` of the float64 value (the
shortest string that reads back as the same double), so the files hold scikit-learn's values
exactly; classification targets are written as integers. The gzip header carries no file name
and a zero timestamp, so running the script twice gives byte-identical files.
"""
import gzip
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def write_csv_gz(path, feature_names, x, y, integer_target):
    lines = [",".join([*feature_names, "target"])]
    for row, target in zip(np.asarray(x, dtype=np.float64), np.asarray(y)):
        cells = [repr(float(v)) for v in row]
        cells.append(str(int(target)) if integer_target else repr(float(target)))
        lines.append(",".join(cells))
    data = ("\n".join(lines) + "\n").encode("ascii")
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw,
                                                compresslevel=9, mtime=0) as f:
        f.write(data)
    # read back: every value must survive the round trip exactly
    with gzip.open(path, "rt", encoding="ascii") as f:
        header = f.readline().rstrip("\n").split(",")
        table = np.loadtxt(f, delimiter=",", dtype=np.float64, ndmin=2)
    assert header == [*feature_names, "target"], path
    assert np.array_equal(table[:, :-1], x) and np.array_equal(table[:, -1], y), path
    print(f"{path.name}: {x.shape[0]} x {x.shape[1]}, {path.stat().st_size} bytes")


def main():
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris  # only here: see README

    for name, bunch, integer_target in [
        ("breast_cancer", load_breast_cancer(), True),
        ("iris", load_iris(), True),
        ("diabetes", load_diabetes(scaled=True), False),  # the scaled version, sklearn's default
    ]:
        write_csv_gz(HERE / f"{name}.csv.gz", [str(n) for n in bunch.feature_names],
                     bunch.data, bunch.target, integer_target)


if __name__ == "__main__":
    main()
