"""Small tabular datasets shipped with the package (no download, no scikit-learn needed).

    from scratchnn.datasets import load_iris
    x, y = load_iris()                      # x float32 (150, 4), y int64 (150,)
    iris = load_iris()                      # or keep the whole result
    iris.feature_names, iris.target_names, iris.description

* ``load_breast_cancer()``: 569 x 30, binary (0 = malignant: 212, 1 = benign: 357);
* ``load_iris()``: 150 x 4, three classes of 50;
* ``load_diabetes()``: 442 x 10, regression (disease progression after one year); the features
  are scikit-learn's default *scaled* version (each column centred and scaled to unit norm).

The values are scikit-learn's (``sklearn.datasets.load_*``) exactly, cast to float32; the files
and how they were made are described in ``scratchnn/datasets/data/README.md``. ``load(name)``
loads one by name; ``NAMES`` lists them.
"""
import gzip
import io
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

NAMES = ("breast_cancer", "iris", "diabetes")


@dataclass(frozen=True, eq=False)
class TabularDataset:
    """One loaded dataset. ``x``: float32 features of shape (n, d); ``y``: int64 class labels
    (classification) or float32 targets (regression) of shape (n,); ``feature_names``: d
    strings; ``target_names``: the class names, indexed by label (empty for regression);
    ``description``: a sentence or two. Unpacks as ``x, y = dataset``."""
    name: str
    x: np.ndarray
    y: np.ndarray
    feature_names: list
    target_names: list = field(default_factory=list)
    description: str = ""

    @property
    def task(self):
        """``"classification"`` or ``"regression"``."""
        return "classification" if self.target_names else "regression"

    def __iter__(self):
        return iter((self.x, self.y))

    def __repr__(self):
        n, d = self.x.shape
        classes = f", {len(self.target_names)} classes" if self.target_names else ""
        return f"TabularDataset({self.name!r}: {n} samples x {d} features, {self.task}{classes})"


_INFO = {
    "breast_cancer": (
        ["malignant", "benign"],
        "Wisconsin Diagnostic Breast Cancer (UCI): 30 features computed from digitised images of "
        "fine-needle aspirates of breast masses (mean, standard error and worst value of 10 cell-"
        "nucleus measurements); target 0 = malignant (212), 1 = benign (357).",
    ),
    "iris": (
        ["setosa", "versicolor", "virginica"],
        "Fisher's Iris data (1936): sepal and petal length and width in cm of 50 flowers of each "
        "of three iris species; target 0 = setosa, 1 = versicolor, 2 = virginica.",
    ),
    "diabetes": (
        [],
        "Diabetes data of Efron et al. (2004): age, sex, body-mass index, mean blood pressure and "
        "six blood-serum measurements of 442 patients (scaled: each column centred and scaled to "
        "unit Euclidean norm); target a quantitative measure of disease progression one year later.",
    ),
}


def _canonical(name):
    key = str(name).strip().lower().replace("-", "_")
    if key not in NAMES:
        raise ValueError(f"unknown tabular dataset {name!r}; expected one of {list(NAMES)}.")
    return key


def data_file(name):
    """The shipped file of dataset ``name`` (a ``Traversable``; a ``pathlib.Path`` in a normal
    installation)."""
    return resources.files(__package__).joinpath("data", f"{_canonical(name)}.csv.gz")


def load(name):
    """Load the shipped dataset ``name`` (``"breast_cancer"``, ``"iris"``, ``"diabetes"``;
    case-insensitive, ``-`` read as ``_``) as a ``TabularDataset``."""
    key = _canonical(name)
    text = gzip.decompress(data_file(key).read_bytes()).decode("ascii")
    header, _, body = text.partition("\n")
    columns = header.split(",")
    table = np.loadtxt(io.StringIO(body), delimiter=",", dtype=np.float64, ndmin=2)
    target_names, description = _INFO[key]
    x = np.ascontiguousarray(table[:, :-1], dtype=np.float32)
    y = table[:, -1].astype(np.int64 if target_names else np.float32)
    return TabularDataset(name=key, x=x, y=y, feature_names=columns[:-1],
                          target_names=list(target_names), description=description)


def load_breast_cancer():
    """Wisconsin Diagnostic Breast Cancer: x float32 (569, 30), y int64 (0 = malignant,
    1 = benign). See ``load``."""
    return load("breast_cancer")


def load_iris():
    """Fisher's Iris: x float32 (150, 4), y int64 (0 = setosa, 1 = versicolor,
    2 = virginica). See ``load``."""
    return load("iris")


def load_diabetes():
    """Diabetes (Efron et al.), scikit-learn's scaled features: x float32 (442, 10),
    y float32 (442,) (disease progression). See ``load``."""
    return load("diabetes")


__all__ = ["TabularDataset", "NAMES", "load", "data_file", "load_breast_cancer", "load_iris",
           "load_diabetes"]
