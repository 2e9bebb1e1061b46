"""``load_img``, ``img_to_array``, ``array_to_img``, ``save_img`` (preprocessing/image.py)."""
import sys

import numpy as np
import pytest

from scratchnn.preprocessing import array_to_img, img_to_array, load_img, save_img

Image = pytest.importorskip("PIL.Image", reason="Pillow reads and writes the image files")


def test_img_to_array_layouts_without_pillow():
    grey = np.arange(6, dtype=np.uint8).reshape(2, 3)
    x = img_to_array(grey)
    assert x.shape == (2, 3, 1) and x.dtype == np.float32 and x[1, 2, 0] == 5
    rgb = np.arange(24).reshape(2, 3, 4)
    assert img_to_array(rgb, data_format="channels_first").shape == (4, 2, 3)
    assert img_to_array(rgb, dtype="uint8").dtype == np.uint8
    with pytest.raises(ValueError, match=r"2 or 3 axes, got shape \(4,\)"):
        img_to_array(np.zeros(4))
    with pytest.raises(ValueError, match="`data_format`"):
        img_to_array(grey, data_format="nhwc")


def test_array_to_img_scales_to_0_255_and_keeps_channels():
    x = np.linspace(-1, 1, 2 * 2 * 3, dtype=np.float32).reshape(2, 2, 3)
    img = array_to_img(x)
    assert img.mode == "RGB" and img.size == (2, 2)
    back = np.asarray(img)
    assert back.min() == 0 and back.max() == 255
    np.testing.assert_array_equal(back, ((x + 1) / 2 * 255).astype(np.uint8))
    raw = array_to_img(np.full((3, 3, 1), 7.0), scale=False)
    assert raw.mode == "L" and np.asarray(raw).max() == 7
    assert array_to_img(np.zeros((4, 2, 2)), data_format="channels_first").mode == "RGBA"
    assert array_to_img(np.full((2, 2, 1), 1000.0), scale=False).mode == "I"
    with pytest.raises(ValueError, match="expected 1, 3 or 4 channels, got 2"):
        array_to_img(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="3 axes"):
        array_to_img(np.zeros((2, 2)))


def test_save_then_load_round_trip_and_resize(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (6, 8, 3)).astype(np.float32)
    path = tmp_path / "a.png"
    save_img(path, x, scale=False)
    img = load_img(path)
    assert img.mode == "RGB" and img.size == (8, 6)
    np.testing.assert_array_equal(img_to_array(img), x)
    grey = load_img(path, color_mode="grayscale")
    assert img_to_array(grey).shape == (6, 8, 1)
    assert img_to_array(load_img(path, color_mode="rgba")).shape == (6, 8, 4)
    small = load_img(path, target_size=(3, 4), interpolation="bilinear")
    assert small.size == (4, 3)
    nearest = img_to_array(load_img(path, target_size=(3, 4)))
    nearest_pil = Image.Resampling.NEAREST
    np.testing.assert_array_equal(nearest, np.asarray(Image.open(path).resize((4, 3), nearest_pil)))
    square = load_img(path, target_size=(2, 2), keep_aspect_ratio=True)   # centre 6x6 crop, then 2x2
    np.testing.assert_array_equal(np.asarray(square),
                                  np.asarray(Image.open(path).crop((1, 0, 7, 6)).resize((2, 2), nearest_pil)))


def test_rgba_as_jpeg_drops_alpha_with_a_warning(tmp_path):
    with pytest.warns(UserWarning, match="alpha channel is dropped"):
        save_img(tmp_path / "a.jpg", np.zeros((2, 2, 4)))
    assert load_img(tmp_path / "a.jpg").mode == "RGB"


@pytest.mark.parametrize("kwargs, words", [(dict(color_mode="cmyk"), "`color_mode`"),
                                           (dict(interpolation="cubic"), "`interpolation`"),
                                           (dict(target_size=(0, 3)), "`target_size`")])
def test_load_img_bad_arguments(tmp_path, kwargs, words):
    with pytest.raises(ValueError, match=words):
        load_img(tmp_path / "missing.png", **kwargs)


def test_without_pillow_one_clear_line(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r"load_img needs Pillow .*: pip install pillow"):
        load_img(tmp_path / "a.png")
    with pytest.raises(ImportError, match="array_to_img needs Pillow"):
        array_to_img(np.zeros((2, 2, 3)))
    assert img_to_array(np.zeros((2, 2))).shape == (2, 2, 1)      # needs no Pillow


def test_keras_namespaces():
    from scratchnn import keras
    assert keras.utils.load_img is load_img and keras.utils.img_to_array is img_to_array
    assert keras.preprocessing.image.array_to_img is array_to_img and keras.utils.save_img is save_img
