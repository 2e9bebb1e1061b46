"""Load a dataset's four IDX files (through ``_fetch``) as the Keras-style arrays."""
from . import _fetch, _registry
from .idx import IMAGES_MAGIC, LABELS_MAGIC, IDXFormatError, read_idx


def load_images_and_labels(name, verbose=True):
    """``(x_train, y_train), (x_test, y_test)`` of dataset ``name``: uint8 arrays of shapes
    (N, rows, cols) and (N,), read from verified IDX files."""
    info = _registry.DATASETS[_registry.canonical_name(name)]
    raw = _fetch.fetch(info, verbose=verbose)
    splits = []
    for images_file, labels_file in ((_registry.TRAIN_IMAGES, _registry.TRAIN_LABELS),
                                     (_registry.TEST_IMAGES, _registry.TEST_LABELS)):
        x = read_idx(raw.pop(images_file), IMAGES_MAGIC, name=f"{info.folder}/{images_file}")
        y = read_idx(raw.pop(labels_file), LABELS_MAGIC, name=f"{info.folder}/{labels_file}")
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise IDXFormatError(f"{info.folder}: expected images of shape (N, rows, cols) and labels of "
                                 f"shape (N,), got {x.shape} and {y.shape}.")
        splits.append((x, y))
    return tuple(splits)
