"""``safe_pickle``: NumPy arrays are rebuilt from pickles, nothing else is (no code runs)."""
import io
import os
import pickle

import numpy as np
import pytest

from scratchnn.datasets.safe_pickle import UnsafePickleError, load_npz, loads


class Evil:
    """Unpickling this with ``pickle.load`` would create the file named ``marker``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def ragged(*lists):
    out = np.empty(len(lists), dtype=object)
    out[:] = [list(x) for x in lists]
    return out


def npz_bytes(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def test_object_and_numeric_arrays_come_back():
    x = ragged([1, 2, 3], [4], [])
    arrays = load_npz(npz_bytes(x=x, y=np.arange(3, dtype=np.int64), f=np.eye(2, dtype=np.float32)))
    assert [list(v) for v in arrays["x"]] == [[1, 2, 3], [4], []]
    assert arrays["y"].dtype == np.int64 and arrays["f"].dtype == np.float32
    np.testing.assert_array_equal(arrays["f"], np.eye(2))


def test_a_pickled_dict_of_arrays_comes_back_with_bytes_keys():
    batch = {b"data": np.arange(6, dtype=np.uint8).reshape(2, 3), b"labels": [3, 4], b"batch_label": b"x"}
    out = loads(pickle.dumps(batch, protocol=4), encoding="bytes")
    np.testing.assert_array_equal(out[b"data"], batch[b"data"])
    assert out[b"labels"] == [3, 4] and out[b"batch_label"] == b"x"


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_a_malicious_object_array_is_refused_without_running_it(tmp_path, protocol):
    marker = tmp_path / "pwned"
    x = ragged([1, 2], [3])
    x[1] = Evil(marker)
    buffer = io.BytesIO()
    np.savez(buffer, x=x)
    with pytest.raises(UnsafePickleError, match=r"asks for (posix|nt|os)\.system.*nothing in it was run"):
        load_npz(buffer.getvalue())
    with pytest.raises(UnsafePickleError, match="system"):
        loads(pickle.dumps({"data": [1, Evil(marker)]}, protocol=protocol))
    assert not marker.exists()


@pytest.mark.parametrize("target", [("builtins", "eval"), ("subprocess", "Popen"), ("numpy", "load")])
def test_any_other_global_is_refused(target):
    data = b"\x80\x02c" + f"{target[0]}\n{target[1]}\n".encode() + b"q\x00."
    with pytest.raises(UnsafePickleError, match=f"{target[0]}.{target[1]}"):
        loads(data)


def test_not_a_zip_is_a_clear_error():
    with pytest.raises(ValueError, match="is not an .npz"):
        load_npz(b"not a zip")


def test_numpy_1_names_are_read_too():
    """Files written by NumPy 1 name ``numpy.core.multiarray``; NumPy 2 writes ``numpy._core``."""
    data = pickle.dumps(ragged([1, 2], [3]), protocol=3)
    old = data.replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")
    assert old != data or b"cnumpy.core.multiarray\n" in data
    assert [list(v) for v in loads(old)] == [[1, 2], [3]]
