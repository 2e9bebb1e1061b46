"""``keras.preprocessing.image.ImageDataGenerator`` (``scratchnn/keras/preprocessing/image.py``): the
legacy augmentation generator and its ``flow`` iterator: exact transforms in Keras 2's conventions,
statistics of the random ones, standardization, seeds, shuffling, subsets, errors, and ``fit``
training on its batches."""
import numpy as np
import pytest

import scratchnn as snn
from scratchnn import layers as L
from scratchnn.compat import tensorflow as tf
from scratchnn.keras.preprocessing.image import ImageDataGenerator, NumpyArrayIterator
from scratchnn.utils import set_random_seed


@pytest.fixture
def x(rng):
    return (rng.random(size=(20, 6, 6, 3)) * 255).astype(np.float32)


def test_reachable_as_in_tf_keras():
    assert tf.keras.preprocessing.image.ImageDataGenerator is ImageDataGenerator


def test_plain_generator_gives_the_data_back(x):
    y = np.arange(20)
    it = ImageDataGenerator(rescale=1 / 255).flow(x.astype(np.uint8), y, batch_size=8, shuffle=False)
    assert isinstance(it, NumpyArrayIterator) and len(it) == 3
    xb, yb = it[2]
    assert xb.dtype == np.float32 and xb.shape == (4, 6, 6, 3)
    np.testing.assert_allclose(xb, x[16:].astype(np.uint8) / np.float32(255), rtol=1e-6)
    np.testing.assert_array_equal(yb, y[16:])
    assert ImageDataGenerator().flow(x, batch_size=8, shuffle=False)[0].shape == (8, 6, 6, 3)   # x only


def test_exact_transforms_in_keras_2_conventions(x):
    g = ImageDataGenerator(fill_mode="constant", cval=-1)
    img = x[0]
    np.testing.assert_allclose(g.apply_transform(img, {"theta": 90}), np.rot90(img, k=-1), atol=1e-3)
    shifted = g.apply_transform(img, {"tx": 2, "ty": -1})       # tx: rows (content up), ty: columns
    ref = np.full_like(img, -1)
    ref[:-2, 1:] = img[2:, :-1]
    np.testing.assert_allclose(shifted, ref, atol=1e-4)
    zoomed = g.apply_transform(img, {"zx": 0.5, "zy": 1.0})     # zx: the height, < 1 zooms in
    rows = 0.5 * (np.arange(6) - 2.5) + 2.5
    lo = np.floor(rows).astype(int)
    ref = img[lo] * (1 - (rows - lo))[:, None, None] + img[np.minimum(lo + 1, 5)] * (rows - lo)[:, None, None]
    np.testing.assert_allclose(zoomed, ref, rtol=1e-5)
    np.testing.assert_array_equal(g.apply_transform(img, {"flip_horizontal": True}), img[:, ::-1])
    np.testing.assert_allclose(g.apply_transform(img, {"brightness": 0.5}), img * 0.5, rtol=1e-6)


def test_random_flips_and_integer_shifts(rng):
    x = rng.normal(size=(300, 5, 7, 1)).astype(np.float32)
    out = ImageDataGenerator(horizontal_flip=True).flow(x, batch_size=300, shuffle=False, seed=0)[0]
    flipped = np.all(out == x[:, :, ::-1], axis=(1, 2, 3))
    assert np.all(flipped ^ np.all(out == x, axis=(1, 2, 3))) and 110 < flipped.sum() < 190
    g = ImageDataGenerator(width_shift_range=3, fill_mode="constant", cval=99)
    out = g.flow(x, batch_size=300, shuffle=False, seed=1)[0]
    seen = set()
    for i in range(300):           # each image shifted by a whole number of columns in (-3, 3)
        k = next(k for k in range(-2, 3) if np.array_equal(out[i], _shift_cols(x[i], k, 99)))
        seen.add(k)
    assert seen == {-2, -1, 0, 1, 2}


def _shift_cols(img, k, fill):
    out = np.full_like(img, fill)
    if k >= 0:
        out[:, k:] = img[:, :img.shape[1] - k]
    else:
        out[:, :k] = img[:, -k:]
    return out


def test_rotation_and_zoom_draws_stay_in_range():
    g = ImageDataGenerator(rotation_range=30, zoom_range=0.2, shear_range=5, height_shift_range=0.25)
    p = g._draw_batch(2000, 8, 8, np.random.default_rng(0))
    assert -30 <= p["theta"].min() < -29 and 29 < p["theta"].max() <= 30
    assert 0.8 <= p["zx"].min() < 0.81 and 1.19 < p["zy"].max() <= 1.2
    assert np.abs(p["tx"]).max() <= 2 and np.abs(p["tx"]).max() > 1.9      # 0.25 of 8 rows
    assert not np.array_equal(p["zx"], p["zy"])


def test_standardization(x):
    g = ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True)
    with pytest.raises(ValueError, match=r"call datagen.fit\(x_train\) first"):
        g.flow(x, batch_size=20)[0]
    g.fit(x)
    out = g.flow(x, batch_size=20, shuffle=False)[0]
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(0, 1, 2)), 1, atol=1e-4)
    g = ImageDataGenerator(samplewise_center=True, samplewise_std_normalization=True)
    out = g.flow(x, batch_size=5)[0]
    np.testing.assert_allclose(out.mean(axis=(1, 2, 3)), 0, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(1, 2, 3)), 1, atol=1e-4)
    out = ImageDataGenerator(preprocessing_function=lambda a: a - 10, rescale=2.0).flow(x, shuffle=False)[0]
    np.testing.assert_allclose(out, (x - 10) * 2, rtol=1e-5)


def test_seeds_shuffling_and_endless_iteration(x):
    y = np.arange(20)
    g = ImageDataGenerator(rotation_range=40, horizontal_flip=True)
    a, b = g.flow(x, y, batch_size=6, seed=3), g.flow(x, y, batch_size=6, seed=3)
    for i in range(len(a)):
        for u, v in zip(a[i], b[i]):
            np.testing.assert_array_equal(u, v)
    first = np.concatenate([a[i][1] for i in range(len(a))])
    assert sorted(first) == list(range(20)) and list(first) != list(range(20))
    a.on_epoch_end()
    second = np.concatenate([a[i][1] for i in range(len(a))])
    assert sorted(second) == list(range(20)) and list(second) != list(first)
    it = g.flow(x, y, batch_size=6, shuffle=False, seed=0)
    sizes = [len(next(it)[1]) for _ in range(9)]           # past the end: a new pass
    assert sizes == [6, 6, 6, 2] * 2 + [6]
    set_random_seed(5)
    one = g.flow(x, y, batch_size=20)[0][0]
    set_random_seed(5)
    np.testing.assert_array_equal(g.flow(x, y, batch_size=20)[0][0], one)


def test_validation_subsets(x):
    g = ImageDataGenerator(validation_split=0.25)
    y = np.arange(20)
    val = g.flow(x, y, batch_size=32, shuffle=False, subset="validation")[0][1]
    train = g.flow(x, y, batch_size=32, shuffle=False, subset="training")[0][1]
    np.testing.assert_array_equal(val, np.arange(5))
    np.testing.assert_array_equal(train, np.arange(5, 20))


@pytest.mark.parametrize("make, error, match", [
    (lambda: ImageDataGenerator(zoom_range="x"), ValueError, r"zoom_range must be .*got 'x'"),
    (lambda: ImageDataGenerator(rotation_range=-5), ValueError, r"rotation_range must be .* >= 0, got -5"),
    (lambda: ImageDataGenerator(interpolation_order=3), ValueError, r"interpolation_order must be 0 .*got 3"),
    (lambda: ImageDataGenerator(fill_mode="mirror"), ValueError, r"fill_mode must be one of .*'mirror'"),
    (lambda: ImageDataGenerator(zca_whitening=True), NotImplementedError, r"zca_whitening is not"),
    (lambda: ImageDataGenerator().flow_from_directory("d"), NotImplementedError, r"use\s+flow\(x, y\)"),
    (lambda: ImageDataGenerator().flow(np.zeros((4, 5, 5, 1)), np.zeros(3)), ValueError,
     r"x and y must have the same number of samples, got 4 and 3"),
    (lambda: ImageDataGenerator().flow(np.zeros((4, 5, 5))), ValueError,
     r"expected images of shape \(samples, height, width, channels\), got shape \(4, 5, 5\)"),
    (lambda: ImageDataGenerator().flow(np.zeros((4, 5, 5, 1)), batch_size=0), ValueError,
     r"batch_size must be a positive int, got 0"),
])
def test_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_fit_trains_on_the_generator(rng):
    set_random_seed(0)
    n = 96
    x = rng.random(size=(n, 10, 10, 1)).astype(np.float32) * 50
    y = rng.integers(0, 2, size=n)
    for i in range(n):                  # bright bar: vertical (0) or horizontal (1); flips keep the class
        k = rng.integers(3, 7)
        if y[i]:
            x[i, k] += 200
        else:
            x[i, :, k] += 200
    g = ImageDataGenerator(rotation_range=5, width_shift_range=0.1, height_shift_range=0.1, zoom_range=0.05,
                           horizontal_flip=True, vertical_flip=True, rescale=1 / 255)
    model = snn.Sequential([L.Input((10, 10, 1)), L.Conv2D(4, 3, activation="relu"), L.Flatten(),
                            L.Dense(2, activation="softmax")])
    model.compile(optimizer=snn.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(g.flow(x, y, batch_size=16, seed=0), epochs=10, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    assert model.evaluate(x / 255, y, verbose=0)[1] > 0.8


def test_fit_with_augmented_rounds(x):
    g = ImageDataGenerator(featurewise_center=True, horizontal_flip=True, vertical_flip=True)
    g.fit(x, augment=True, rounds=3, seed=0)          # flips keep every channel's mean and spread
    assert g.mean.shape == (1, 1, 3)
    np.testing.assert_allclose(g.mean.ravel(), x.mean(axis=(0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(g.std.ravel(), x.std(axis=(0, 1, 2)), rtol=1e-4)
    shifted = ImageDataGenerator(featurewise_center=True, channel_shift_range=50.0)
    shifted.fit(x, augment=True, rounds=2, seed=0)
    assert not np.allclose(shifted.mean.ravel(), x.mean(axis=(0, 1, 2)), rtol=1e-3)
