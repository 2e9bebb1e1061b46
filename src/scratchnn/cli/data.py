"""The datasets the command line trains on, as one uniform record.

Images (MNIST, Fashion-MNIST) stay uint8 pixels: the model's first layer, ``Rescaling(1/255)``,
scales them, so a saved model takes raw pixels. Tables (breast cancer, iris, diabetes) are
split 80/20 (stratified for classification, with the run's seed) and standardized by a
``Normalization`` layer adapted to the training part, so a saved model takes raw features.
"""
from dataclasses import dataclass, field

import numpy as np

from .. import datasets as _datasets
from .. import preprocessing
from ..datasets.fashion_mnist import CLASS_NAMES

FASHION_CLASSES = list(CLASS_NAMES)       # the garments of Fashion-MNIST, labels 0..9


@dataclass
class Task:
    """What ``scratchnn train`` needs to know about a dataset."""
    name: str
    kind: str                      # "image" or "table"
    task: str                      # "classification" or "regression"
    class_names: list = field(default_factory=list)
    epochs: int = 5
    batch_size: int = 32
    hidden: tuple = (50,)
    description: str = ""


TASKS = {
    "mnist": Task("mnist", "image", "classification", [str(d) for d in range(10)],
                  description="MNIST handwritten digits, 60000 + 10000 images of 28x28 pixels"),
    "fashion_mnist": Task("fashion_mnist", "image", "classification", FASHION_CLASSES, epochs=10,
                          hidden=(128,), description="Fashion-MNIST garments, 60000 + 10000 images of 28x28"),
    "breast_cancer": Task("breast_cancer", "table", "classification", epochs=50, batch_size=16, hidden=(16,),
                          description="Wisconsin breast cancer, 569 x 30 features, malignant vs benign"),
    "iris": Task("iris", "table", "classification", epochs=100, batch_size=8, hidden=(16,),
                 description="Fisher's iris flowers, 150 x 4 features, 3 species"),
    "diabetes": Task("diabetes", "table", "regression", epochs=200, batch_size=16, hidden=(32,),
                     description="Diabetes progression, 442 x 10 features, a regression target"),
}


def task(name):
    """The ``Task`` called ``name`` (``-`` read as ``_``); unknown names list the valid ones."""
    key = str(name).replace("-", "_").lower()
    if key not in TASKS:
        raise KeyError(f"unknown dataset {name!r}; choose one of: {', '.join(TASKS)}")
    return TASKS[key]


def load(spec, seed, verbose=True):
    """``(x_train, y_train), (x_test, y_test), class_names`` for ``spec`` (a ``Task``)."""
    if spec.kind == "image":
        module = getattr(_datasets, spec.name)
        (x_train, y_train), (x_test, y_test) = module.load_data(verbose=verbose)
        return (x_train, y_train), (x_test, y_test), spec.class_names
    table = _datasets.tabular.load(spec.name)
    x, y = table.x, table.y
    stratify = y if spec.task == "classification" else None
    x_train, x_test, y_train, y_test = preprocessing.train_test_split(
        x, y, test_size=0.2, stratify=stratify, random_state=seed)
    names = list(getattr(table, "target_names", None) or [])
    if spec.task == "classification" and not names:
        names = [str(c) for c in np.unique(y)]
    if spec.task == "regression":
        y_train, y_test = y_train.reshape(-1, 1), y_test.reshape(-1, 1)
    return (x_train, y_train), (x_test, y_test), names
