"""``image_dataset_from_directory`` / ``text_dataset_from_directory``: Keras's class order, split,
label modes and checks, on small folders made here."""
import numpy as np
import pytest

from scratchnn.preprocessing import image_dataset_from_directory, text_dataset_from_directory

Image = pytest.importorskip("PIL.Image", reason="Pillow reads the image files")


@pytest.fixture
def photos(tmp_path):
    """3 cats (red level 10, 11, 12) and 2 dogs (30, 31), 8x6 pixels, one in a nested folder."""
    root = tmp_path / "photos"
    for folder, levels in (("dogs", (30, 31)), ("cats", (10, 11, 12))):
        (root / folder / "more").mkdir(parents=True)
        for i, level in enumerate(levels):
            place = root / folder / ("more" if i == 0 else "") / f"{folder}{i}.png"
            Image.fromarray(np.full((6, 8, 3), level, np.uint8)).save(place)
    (root / "cats" / "notes.txt").write_text("not an image")
    return root


def everything(ds):
    xs, ys = zip(*[(np.asarray(x), np.asarray(y)) for x, y in ds])
    return np.concatenate(xs), np.concatenate(ys)


def test_classes_sorted_labels_and_sizes(photos, capsys):
    ds = image_dataset_from_directory(photos, image_size=(6, 8), batch_size=2, shuffle=False)
    assert ds.class_names == ["cats", "dogs"]
    assert "Found 5 files belonging to 2 classes." in capsys.readouterr().out
    x, y = everything(ds)
    assert x.shape == (5, 6, 8, 3) and x.dtype == np.float32 and y.dtype == np.int32
    assert y.tolist() == [0, 0, 0, 1, 1]
    assert x[:, 0, 0, 0].tolist() == [11, 12, 10, 31, 30]    # sorted: cats/cats1, cats/cats2, cats/more/...
    assert [len(np.asarray(b[0])) for b in ds] == [2, 2, 1]


def test_resize_grayscale_and_label_modes(photos):
    ds = image_dataset_from_directory(photos, image_size=(3, 4), color_mode="grayscale",
                                      label_mode="categorical", shuffle=False, verbose=False)
    x, y = everything(ds)
    assert x.shape == (5, 3, 4, 1) and y.shape == (5, 2) and y.dtype == np.float32
    np.testing.assert_array_equal(y.argmax(1), [0, 0, 0, 1, 1])
    x, y = everything(image_dataset_from_directory(photos, image_size=(3, 4), label_mode="binary",
                                                   shuffle=False, verbose=False))
    assert y.shape == (5, 1) and y[:, 0].tolist() == [0, 0, 0, 1, 1]
    only = image_dataset_from_directory(photos, image_size=(3, 4), label_mode=None, shuffle=False,
                                        verbose=False)
    assert np.asarray(next(iter(only))).shape == (5, 3, 4, 3)


def test_training_and_validation_never_share_a_file(photos):
    train, val = image_dataset_from_directory(photos, image_size=(6, 8), validation_split=0.4,
                                              subset="both", seed=3, verbose=False)
    assert len(val.file_paths) == 2 and len(train.file_paths) == 3
    assert not set(train.file_paths) & set(val.file_paths)
    again = image_dataset_from_directory(photos, image_size=(6, 8), validation_split=0.4,
                                         subset="validation", seed=3, verbose=False)
    assert again.file_paths == val.file_paths
    x, y = everything(train)
    levels = {10: 0, 11: 0, 12: 0, 30: 1, 31: 1}
    assert sorted(zip(x[:, 0, 0, 0].astype(int).tolist(), y.tolist())) == \
        sorted((int(v), levels[int(v)]) for v in x[:, 0, 0, 0])


@pytest.mark.parametrize("kwargs, words", [
    (dict(validation_split=0.2), "say which `subset`"),
    (dict(validation_split=0.2, subset="training"), "give a `seed`"),
    (dict(subset="training"), "`subset` needs a `validation_split`"),
    (dict(label_mode="sparse"), "`label_mode` must be"),
    (dict(class_names=["cats"]), "`class_names` must name exactly the sub-folders"),
    (dict(color_mode="cmyk"), "`color_mode`"),
    (dict(labels=[0, 1]), "`labels` has 2 entries but"),
])
def test_bad_arguments(photos, kwargs, words):
    with pytest.raises(ValueError, match=words):
        image_dataset_from_directory(photos, verbose=False, **kwargs)


def test_an_unsupported_keras_argument_is_named(photos):
    with pytest.raises(TypeError, match="does not support the argument.* pad_to_aspect_ratio"):
        image_dataset_from_directory(photos, pad_to_aspect_ratio=True, verbose=False)


def test_binary_needs_two_classes(photos):
    (photos / "birds").mkdir()
    with pytest.raises(ValueError, match="needs exactly 2 classes, found 3"):
        image_dataset_from_directory(photos, label_mode="binary", verbose=False)


def test_text_dataset(tmp_path):
    for folder, texts in (("neg", ["bad film", "boring"]), ("pos", ["great fun"])):
        (tmp_path / folder).mkdir()
        for i, text in enumerate(texts):
            (tmp_path / folder / f"{i}.txt").write_text(text)
    ds = text_dataset_from_directory(tmp_path, batch_size=8, shuffle=False, max_length=5, verbose=False)
    texts, labels = next(iter(ds))
    assert list(np.asarray(texts)) == ["bad f", "borin", "great"]
    assert np.asarray(labels).tolist() == [0, 0, 1]
    assert ds.class_names == ["neg", "pos"]
    with pytest.raises(ValueError, match="is not a folder"):
        text_dataset_from_directory(tmp_path / "missing")


def test_keras_namespace():
    from scratchnn import keras
    assert keras.utils.image_dataset_from_directory is image_dataset_from_directory
    assert keras.utils.text_dataset_from_directory is text_dataset_from_directory
    assert keras.preprocessing.image_dataset_from_directory is image_dataset_from_directory
