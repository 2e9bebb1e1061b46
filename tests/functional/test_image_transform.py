"""The batched image sampler (``scratchnn/functional/image_transform.py``) against direct references:
``np.rot90``, ``np.roll``/shifted copies, identity transforms, the four fill modes on a 1-row image,
gradients (gradcheck in float64) and PyTorch's ``grid_sample`` (values and gradients)."""
import numpy as np
import pytest

from scratchnn.autograd import Tensor
from scratchnn.functional import image_transform as T
from scratchnn.gradcheck import gradcheck

from tests.helpers import requires_torch, torch


@pytest.fixture
def images(rng):
    return rng.normal(size=(3, 5, 5, 2)).astype(np.float32)


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_quarter_turn_is_rot90(images, interpolation):
    out = T.affine_transform(images, T.rotation_matrix([np.pi / 2] * 3, 5, 5), interpolation=interpolation)
    np.testing.assert_allclose(out.data, np.rot90(images, axes=(1, 2)), atol=1e-6)
    back = T.affine_transform(images, T.rotation_matrix([-np.pi / 2] * 3, 5, 5), interpolation=interpolation)
    np.testing.assert_allclose(back.data, np.rot90(images, k=-1, axes=(1, 2)), atol=1e-6)
    assert out.dtype == np.float32


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_whole_pixel_shifts(images, interpolation):
    shift = T.translation_matrix([1, -2, 0], [2, 0, -1])     # right 1 / down 2, left 2, up 1
    out = T.affine_transform(images, shift, interpolation=interpolation, fill_mode="constant", fill_value=7.0)
    ref = np.full_like(images, 7.0)
    ref[0, 2:, 1:] = images[0, :-2, :-1]
    ref[1, :, :-2] = images[1, :, 2:]
    ref[2, :-1, :] = images[2, 1:, :]
    np.testing.assert_array_equal(out.data, ref)
    wrapped = T.affine_transform(images, shift, interpolation=interpolation, fill_mode="wrap")
    for i, (dy, dx) in enumerate([(2, 1), (0, -2), (-1, 0)]):
        np.testing.assert_array_equal(wrapped.data[i], np.roll(images[i], (dy, dx), axis=(0, 1)))


def test_identity_transforms(images):
    for t in (T.zoom_matrix([1.0] * 3, [1.0] * 3, 5, 5), T.translation_matrix([0] * 3, [0] * 3),
              T.rotation_matrix([0.0] * 3, 5, 5)):
        np.testing.assert_array_equal(T.affine_transform(images, t, fill_mode="reflect").data, images)


@pytest.mark.parametrize("mode, expected", [
    ("reflect", [2, 1, 0, 0, 1, 2, 3, 3, 2]),        # (c b a | a b c d | d c)
    ("wrap", [1, 2, 3, 0, 1, 2, 3, 0, 1]),
    ("nearest", [0, 0, 0, 0, 1, 2, 3, 3, 3]),
    ("constant", [-1, -1, -1, 0, 1, 2, 3, -1, -1]),
])
def test_fill_modes_on_one_row(mode, expected):
    row = np.arange(4, dtype=np.float32).reshape(1, 1, 4, 1)
    # output width 9, output column j reads input column j - 3
    out = T.affine_transform(row, [1, 0, -3, 0, 1, 0, 0, 0], interpolation="nearest", fill_mode=mode,
                             fill_value=-1, output_size=(1, 9))
    np.testing.assert_array_equal(out.data.ravel(), expected)


def test_bilinear_half_pixel_is_the_average():
    row = np.array([0.0, 2.0, 6.0], dtype=np.float32).reshape(1, 1, 3, 1)
    out = T.affine_transform(row, [1, 0, 0.5, 0, 1, 0, 0, 0], fill_mode="nearest")
    np.testing.assert_allclose(out.data.ravel(), [1.0, 4.0, 6.0])


def test_resize_half_pixel_centres():
    x = np.arange(4, dtype=np.float32).reshape(1, 1, 4, 1)
    np.testing.assert_allclose(T.resize(x, (1, 2)).data.ravel(), [0.5, 2.5])
    np.testing.assert_allclose(T.resize(x, (1, 8)).data.ravel(), [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3])


def test_compose_applies_in_order(images):
    shift = T.translation_matrix([1] * 3, [0] * 3)
    turn = T.rotation_matrix([np.pi / 2] * 3, 5, 5)
    both = T.affine_transform(images, T.compose(shift, turn), interpolation="nearest", fill_mode="wrap")
    shifted = T.affine_transform(images, shift, fill_mode="wrap")
    step = T.affine_transform(shifted, turn, interpolation="nearest")
    np.testing.assert_allclose(both.data, step.data, atol=1e-6)


@pytest.mark.parametrize("mode", ["reflect", "wrap", "constant", "nearest"])
def test_gradcheck(rng, mode):
    x = rng.normal(size=(2, 4, 5, 2))
    t = np.concatenate([T.rotation_matrix([0.3], 4, 5), T.zoom_matrix([1.3], [0.8], 4, 5)])
    assert gradcheck(lambda v: (T.affine_transform(v, t, fill_mode=mode, fill_value=0.5) ** 2).sum(), x)


@requires_torch
@pytest.mark.parametrize("mode, padding", [("constant", "zeros"), ("nearest", "border")])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_matches_torch_grid_sample(rng, mode, padding, interpolation):
    n, h, w, c = 2, 6, 7, 3
    x = rng.normal(size=(n, h, w, c))
    t = T.compose(T.rotation_matrix([0.4, -1.1], h, w), T.zoom_matrix([1.2, 0.7], [0.9, 1.1], h, w),
                  T.translation_matrix([0.3, -1.6], [1.2, 0.4]))
    xt = Tensor(x, dtype=np.float64, requires_grad=True)
    ours = T.affine_transform(xt, t, interpolation=interpolation, fill_mode=mode)
    g = rng.normal(size=ours.shape)
    (ours * g).sum().backward()
    ys, xs = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    sx = t[:, 0, None, None] * xs + t[:, 1, None, None] * ys + t[:, 2, None, None]
    sy = t[:, 3, None, None] * xs + t[:, 4, None, None] * ys + t[:, 5, None, None]
    grid = np.stack([2 * sx / (w - 1) - 1, 2 * sy / (h - 1) - 1], axis=-1)
    x_torch = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.grid_sample(x_torch.permute(0, 3, 1, 2), torch.tensor(grid),
                                          mode=interpolation, padding_mode=padding, align_corners=True)
    ref = ref.permute(0, 2, 3, 1)
    (ref * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(ours.data, ref.detach().numpy(), atol=1e-9)
    np.testing.assert_allclose(xt.grad, x_torch.grad.numpy(), atol=1e-9)


def test_bad_arguments(images):
    with pytest.raises(ValueError, match="affine_transform: fill_mode must be one of .*got 'mirror'"):
        T.affine_transform(images, T.translation_matrix([0] * 3, [0] * 3), fill_mode="mirror")
    with pytest.raises(ValueError, match=r"transforms must have shape \(3, 8\).*got \(2, 8\)"):
        T.affine_transform(images, np.zeros((2, 8)))
    with pytest.raises(ValueError, match=r"affine_transform: expected a batch of images.*\(5, 5\)"):
        T.affine_transform(np.zeros((5, 5)), np.zeros(8))
