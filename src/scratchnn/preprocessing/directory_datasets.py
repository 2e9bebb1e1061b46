"""``image_dataset_from_directory`` and ``text_dataset_from_directory``: a folder of files, one
sub-folder per class, as a batched ``Dataset`` of ``(inputs, labels)``, as Keras reads it.

    photos/                       train = image_dataset_from_directory(
      cats/  a.jpg b.png ...          "photos", image_size=(64, 64), batch_size=32,
      dogs/  c.jpg ...                validation_split=0.2, subset="training", seed=1)
                                  train.class_names     # ['cats', 'dogs'] (sorted), labels 0 and 1

Keras's rules: the classes are the sub-folders in alphabetical order (or ``class_names``); the
files of each (searched recursively, by extension) in alphanumerical order; with ``shuffle``
the list is shuffled with ``seed`` *before* it is split, so that ``subset="training"`` and
``subset="validation"`` with the same seed never share a file (the last
``int(validation_split * n)`` files are the validation set); then the dataset shuffles again at
each epoch (a buffer of ``8 * batch_size`` elements) and batches. ``label_mode``: ``"int"``
(class numbers), ``"categorical"`` (one-hot float32), ``"binary"`` (float32 of shape (n, 1), two
classes only) or None (inputs only).

Unlike Keras, which reads the files while iterating, the files are read once, when the
function is called (the course-sized folders these are used on fit in memory); images are
resized with Pillow (``load_img``), so pixel values may differ from TensorFlow's resizing by
rounding.
"""
import os
from pathlib import Path

import numpy as np

from .dataset import Dataset
from .image import img_to_array, load_img
from .validation import check_random_state

__all__ = ["image_dataset_from_directory", "text_dataset_from_directory", "IMAGE_EXTENSIONS"]

IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}


def _files(directory, extensions, follow_links):
    found = []
    for root, folders, names in os.walk(directory, followlinks=follow_links):
        folders.sort()
        found += [os.path.join(root, n) for n in sorted(names) if n.lower().endswith(extensions)]
    return found


def _index_files(function, directory, labels, class_names, extensions, follow_links):
    """``(paths, labels or None, class_names)`` with Keras's order and checks."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ValueError(f"{function}: `directory` {str(directory)!r} is not a folder.")
    if labels == "inferred":
        folders = sorted(d.name for d in directory.iterdir() if d.is_dir())
        if class_names is not None:
            if sorted(class_names) != folders:
                raise ValueError(f"{function}: `class_names` must name exactly the sub-folders of "
                                 f"{directory}: {folders}, got {list(class_names)}.")
            folders = list(class_names)
        paths, found = [], []
        for label, folder in enumerate(folders):
            files = _files(directory / folder, extensions, follow_links)
            paths += files
            found += [label] * len(files)
        return paths, np.asarray(found, dtype=np.int32), list(folders)
    paths = _files(directory, extensions, follow_links)
    if labels is None:
        return paths, None, None
    if not isinstance(labels, (list, tuple, np.ndarray)):
        raise ValueError(f"{function}: `labels` must be 'inferred', None, or a list of integer labels "
                         f"(one per file), got {labels!r}.")
    if len(labels) != len(paths):
        raise ValueError(f"{function}: `labels` has {len(labels)} entries but {directory} holds {len(paths)} "
                         "files (sorted by path, one label each).")
    labels = np.asarray(labels, dtype=np.int32)
    names = list(class_names) if class_names is not None else [str(i) for i in range(int(labels.max()) + 1)]
    return paths, labels, names


def _select(function, paths, labels, shuffle, seed, validation_split, subset):
    """Keras's shuffle-then-split of the file list: a list of ``(paths, labels)``, one per subset."""
    if subset not in (None, "training", "validation", "both"):
        raise ValueError(f"{function}: `subset` must be None, 'training', 'validation' or 'both', "
                         f"got {subset!r}.")
    if validation_split is not None:
        if not 0 < validation_split < 1:
            raise ValueError(f"{function}: `validation_split` must be between 0 and 1, "
                             f"got {validation_split!r}.")
        if subset is None:
            raise ValueError(f"{function}: with `validation_split`, say which `subset` you want: 'training', "
                             "'validation' or 'both'.")
        if shuffle and seed is None:
            raise ValueError(f"{function}: with `validation_split` and `shuffle`, give a `seed`, so that the "
                             "training and validation subsets are cut from the same order.")
    elif subset is not None:
        raise ValueError(f"{function}: `subset` needs a `validation_split`.")
    order = np.arange(len(paths))
    if shuffle:
        np.random.RandomState(seed).shuffle(order)
    paths = [paths[i] for i in order]
    labels = None if labels is None else labels[order]
    if validation_split is None:
        return [(paths, labels)]
    n_val = int(validation_split * len(paths))
    cut = len(paths) - n_val
    train = (paths[:cut], None if labels is None else labels[:cut])
    val = (paths[cut:], None if labels is None else labels[cut:])
    return {"training": [train], "validation": [val], "both": [train, val]}[subset]


def _encode_labels(function, labels, label_mode, n_classes):
    if label_mode == "int":
        return labels
    if label_mode == "categorical":
        return np.eye(n_classes, dtype=np.float32)[labels]
    if label_mode == "binary":
        if n_classes != 2:
            raise ValueError(f"{function}: label_mode='binary' needs exactly 2 classes, found {n_classes}.")
        return labels.astype(np.float32)[:, None]
    raise ValueError(f"{function}: `label_mode` must be 'int', 'categorical', 'binary' or None, "
                     f"got {label_mode!r}.")


def _build(function, inputs, labels, label_mode, class_names, paths, batch_size, shuffle, seed):
    if label_mode is None or labels is None:
        ds = Dataset.from_tensor_slices(inputs)
    else:
        targets = _encode_labels(function, labels, label_mode, len(class_names))
        ds = Dataset.from_tensor_slices((inputs, targets))
    if shuffle and len(paths):
        ds = ds.shuffle(8 * (batch_size or 1), seed=seed)
    if batch_size is not None:
        ds = ds.batch(batch_size)
    ds.class_names, ds.file_paths = class_names, list(paths)
    return ds


def _no_other(function, kwargs):
    if kwargs:
        raise TypeError(f"{function}: scratchnn does not support the argument(s) {', '.join(sorted(kwargs))} "
                        "(Keras's others are all here).")


def _prepare(function, directory, labels, label_mode, class_names, extensions, follow_links, shuffle, seed,
             validation_split, subset, verbose):
    if label_mode not in (None, "int", "categorical", "binary"):
        _encode_labels(function, None, label_mode, 0)
    paths, found, names = _index_files(function, directory, labels, class_names, extensions, follow_links)
    if verbose:
        print(f"Found {len(paths)} files" + (f" belonging to {len(names)} classes." if names else "."))
    if shuffle and seed is None and validation_split is None:   # with a split, _select asks for a seed
        seed = int(check_random_state(None, function).integers(1_000_000))
    chosen = _select(function, paths, found, shuffle, seed, validation_split, subset)
    if verbose and validation_split is not None:
        for (part, _), name in zip(chosen, ["training", "validation"] if subset == "both" else [subset]):
            print(f"Using {len(part)} files for {name}.")
    return chosen, names, seed


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                 color_mode="rgb", batch_size=32, image_size=(256, 256), shuffle=True,
                                 seed=None, validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False, verbose=True, **kwargs):
    """Images in class sub-folders as a ``Dataset`` of ``(images, labels)`` batches: images float32
    of shape ``(batch, height, width, channels)`` (values 0..255), resized to ``image_size``
    (``crop_to_aspect_ratio``: crop the centre first, no stretching). ``subset="both"`` returns
    ``(training, validation)``. The dataset has ``class_names`` and ``file_paths``."""
    function = "image_dataset_from_directory"
    _no_other(function, kwargs)
    if color_mode not in _CHANNELS:
        raise ValueError(f"{function}: `color_mode` must be 'grayscale', 'rgb' or 'rgba', "
                         f"got {color_mode!r}.")
    if len(image_size) != 2 or min(image_size) < 1:
        raise ValueError(f"{function}: `image_size` must be (height, width), got {image_size!r}.")
    chosen, names, seed = _prepare(function, directory, labels, label_mode, class_names, IMAGE_EXTENSIONS,
                                   follow_links, shuffle, seed, validation_split, subset, verbose)
    out = []
    for paths, found in chosen:
        images = np.zeros((len(paths), *image_size, _CHANNELS[color_mode]), dtype=np.float32)
        for i, path in enumerate(paths):     # one file at a time: each must be opened and decoded
            img = load_img(path, color_mode=color_mode, target_size=image_size, interpolation=interpolation,
                           keep_aspect_ratio=crop_to_aspect_ratio)
            images[i] = img_to_array(img).reshape(images.shape[1:])
        out.append(_build(function, images, found, label_mode, names, paths, batch_size, shuffle, seed))
    return tuple(out) if subset == "both" else out[0]


def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                batch_size=32, max_length=None, shuffle=True, seed=None,
                                validation_split=None, subset=None, follow_links=False, verbose=True,
                                **kwargs):
    """``.txt`` files in class sub-folders as a ``Dataset`` of ``(texts, labels)`` batches, texts
    as a NumPy array of ``str`` (cut to ``max_length`` characters when given). ``subset="both"``
    returns ``(training, validation)``. The dataset has ``class_names`` and ``file_paths``."""
    function = "text_dataset_from_directory"
    _no_other(function, kwargs)
    if max_length is not None and (not isinstance(max_length, int) or max_length < 1):
        raise ValueError(f"{function}: `max_length` must be None or a positive integer, got {max_length!r}.")
    chosen, names, seed = _prepare(function, directory, labels, label_mode, class_names, (".txt",),
                                   follow_links, shuffle, seed, validation_split, subset, verbose)
    out = []
    for paths, found in chosen:
        texts = [Path(p).read_text(encoding="utf-8", errors="replace")[:max_length] for p in paths]
        out.append(_build(function, np.array(texts, dtype=str), found, label_mode, names, paths, batch_size,
                          shuffle, seed))
    return tuple(out) if subset == "both" else out[0]
