"""The IDX format (``scratchnn/datasets/idx.py``): round trip, MNIST's headers, malformed files."""
import numpy as np
import pytest

from scratchnn.datasets.idx import IDXFormatError, idx_size, read_idx, write_idx

# ----------------------------------------------------------------------------- IDX format

@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_idx_round_trip(dtype, rng):
    array = (rng.standard_normal((3, 4, 2)) * 100).astype(dtype)
    raw = write_idx(array)
    back = read_idx(raw)
    assert back.dtype == np.dtype(dtype) and back.shape == (3, 4, 2)
    np.testing.assert_array_equal(back, array)
    assert back.flags.writeable


def test_idx_mnist_headers():
    images = write_idx(np.zeros((2, 28, 28), np.uint8))
    labels = write_idx(np.arange(2, dtype=np.uint8))
    assert images[:16] == bytes.fromhex("00000803" "00000002" "0000001c" "0000001c")
    assert labels[:8] == bytes.fromhex("00000801" "00000002")
    assert read_idx(images, expected_magic=2051).shape == (2, 28, 28)
    assert read_idx(labels, expected_magic=2049).tolist() == [0, 1]


@pytest.mark.parametrize("data, match", [
    (b"\x00\x00", "at least 4 bytes"),
    (bytes.fromhex("12345678") + bytes(8), "not an IDX file"),
    (bytes.fromhex("00000803") + bytes(4), "16-byte header"),
    (bytes.fromhex("00000801" "00000005") + bytes(4), "truncated"),
    (bytes.fromhex("00000801" "00000002") + bytes(3), "trailing data"),
    (bytes.fromhex("00000800"), "at least 1 dimension"),
    (bytes.fromhex("00000A01" "00000001") + bytes(1), "type code"),
])
def test_idx_malformed(data, match):
    with pytest.raises(IDXFormatError, match=match):
        read_idx(data)


def test_idx_wrong_magic_names_both():
    labels = write_idx(np.zeros(3, np.uint8))
    with pytest.raises(IDXFormatError, match=r"labels\.idx: expected IDX magic number 2051, got 2049"):
        read_idx(labels, expected_magic=2051, name="labels.idx")
    with pytest.raises(TypeError, match="expected an array of dtype"):
        write_idx(np.zeros(3, np.int64))


@pytest.mark.parametrize("shape", [(7,), (2, 3), (4, 28, 28), (0, 5)])
@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.float64])
def test_idx_size_is_the_size_write_idx_gives(shape, dtype):
    assert idx_size(shape, dtype) == len(write_idx(np.zeros(shape, dtype)))


def test_idx_size_of_mnist():
    assert idx_size((60000, 28, 28)) == 16 + 60000 * 784 == 47040016
    assert idx_size((10000,)) == 8 + 10000
