"""``tf.config``, ``tf.random``, the TF-style initializers, ``tf.print`` and ``tf.test`` for
scratchnn: one CPU, no GPU, NumPy's random generator behind ``tf.random.set_seed``."""
import sys

import numpy as np

from .. import initializers
from .. import random as snn_random
from ..autograd import Tensor
from ..keras import ops
from ..utils import set_random_seed
from .tf_namespace import Namespace


class PhysicalDevice:
    """What ``tf.config.list_physical_devices`` lists: a ``name`` and a ``device_type``."""

    def __init__(self, name, device_type):
        self.name, self.device_type = name, device_type

    def __repr__(self):
        return f"PhysicalDevice(name='{self.name}', device_type='{self.device_type}')"

    def __eq__(self, other):
        return isinstance(other, PhysicalDevice) and (self.name, self.device_type) == (other.name,
                                                                                        other.device_type)

    __hash__ = object.__hash__


CPU = PhysicalDevice("/physical_device:CPU:0", "CPU")


def list_physical_devices(device_type=None):
    """scratchnn computes with NumPy on the CPU: ``[CPU]`` for None or 'CPU', ``[]`` for 'GPU',
    'TPU' or any other type."""
    return [CPU] if device_type is None or str(device_type).upper() == "CPU" else []


def list_logical_devices(device_type=None):
    """The same as ``list_physical_devices`` (one CPU)."""
    return list_physical_devices(device_type)


def set_memory_growth(device, enable):
    """Accepted and ignored: NumPy allocates memory as it goes."""


def get_memory_growth(device):
    """Always True: NumPy allocates memory as it goes."""
    return True


def set_visible_devices(devices, device_type=None):
    """Accepted and ignored: there is one CPU."""


def run_functions_eagerly(run_eagerly):
    """Accepted and ignored: every ``tf.function`` runs eagerly in scratchnn."""


def functions_run_eagerly():
    """Always True."""
    return True


_experimental = Namespace("config.experimental", {
    "set_memory_growth": set_memory_growth, "get_memory_growth": get_memory_growth,
    "list_physical_devices": list_physical_devices, "list_logical_devices": list_logical_devices,
    "set_visible_devices": set_visible_devices})

config = Namespace("config", {
    "list_physical_devices": list_physical_devices, "list_logical_devices": list_logical_devices,
    "set_visible_devices": set_visible_devices, "run_functions_eagerly": run_functions_eagerly,
    "functions_run_eagerly": functions_run_eagerly, "experimental": _experimental,
    "PhysicalDevice": PhysicalDevice})


# ------------------------------------------------------------------ tf.random
def _rng(seed):
    return np.random.default_rng(seed) if seed is not None else snn_random.generator()


def _shape(shape):
    """A shape as a tuple of ints: from ints, NumPy integers (``tf.shape(x)[0]``) or Tensors (not
    ``getattr(n, "data")``: a NumPy scalar's ``.data`` is its raw bytes)."""
    shape = shape.data if isinstance(shape, Tensor) else shape
    return (int(shape),) if np.ndim(shape) == 0 else tuple(
        int(n.data if isinstance(n, Tensor) else n) for n in shape)


def normal(shape, mean=0.0, stddev=1.0, dtype=np.float32, seed=None, name=None):
    """Draws from N(mean, stddev^2), float32 by default (scratchnn's generator unless ``seed``)."""
    values = _rng(seed).normal(mean, stddev, _shape(shape))
    return Tensor.wrap(values.astype(ops.standardize_dtype(dtype)))


def uniform(shape, minval=0, maxval=None, dtype=np.float32, seed=None, name=None):
    """Draws from [minval, maxval) (maxval 1 for floats; required for integers)."""
    dtype = ops.standardize_dtype(dtype)
    rng = _rng(seed)
    if dtype.kind in "iu":
        if maxval is None:
            raise ValueError("tf.random.uniform: an integer dtype needs maxval")
        return Tensor.wrap(rng.integers(minval, maxval, _shape(shape)).astype(dtype))
    maxval = 1.0 if maxval is None else maxval
    return Tensor.wrap(rng.uniform(minval, maxval, _shape(shape)).astype(dtype))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=np.float32, seed=None, name=None):
    """N(mean, stddev^2) redrawn beyond two standard deviations (as TensorFlow)."""
    values = initializers.TruncatedNormal(mean, stddev, seed)(_shape(shape), ops.standardize_dtype(dtype))
    return Tensor.wrap(values)


def categorical(logits, num_samples, dtype=np.int64, seed=None, name=None):
    """For each row of ``logits`` (batch, classes), ``num_samples`` class indices drawn with
    probabilities softmax(row): shape (batch, num_samples)."""
    z = np.asarray(ops.convert_to_numpy(logits), dtype=np.float64)
    if z.ndim != 2:
        raise ValueError(f"tf.random.categorical: logits must have shape (batch, classes), got {z.shape}")
    p = np.exp(z - z.max(axis=1, keepdims=True))
    cumulative = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
    u = _rng(seed).random((z.shape[0], int(num_samples)))
    draws = (u[:, :, None] > cumulative[:, None, :]).sum(axis=2)
    return Tensor.wrap(np.minimum(draws, z.shape[1] - 1).astype(ops.standardize_dtype(dtype)))


def shuffle(value, seed=None, name=None):
    """A copy of ``value`` with its first axis shuffled."""
    data = np.asarray(getattr(value, "data", value))
    return Tensor.wrap(data[_rng(seed).permutation(len(data))])


random = Namespace("random", {
    "set_seed": set_random_seed, "normal": normal, "uniform": uniform,
    "truncated_normal": truncated_normal, "shuffle": shuffle, "categorical": categorical})


# ------------------------------------------------------------------ initializers (TF 2 names)
random_normal_initializer = initializers.RandomNormal
random_uniform_initializer = initializers.RandomUniform
constant_initializer = initializers.Constant
zeros_initializer = initializers.Zeros
ones_initializer = initializers.Ones
glorot_uniform_initializer = initializers.GlorotUniform


# ------------------------------------------------------------------ tf.print
def _text(value, summarize):
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        array = np.asarray(value)
        if array.ndim == 0:
            return _scalar(array.item())
        edge = 3 if summarize is None else summarize
        threshold = sys.maxsize if edge is not None and edge < 0 else 2 * edge
        return np.array2string(array, separator=" ", threshold=threshold, edgeitems=max(edge, 1),
                               formatter={"float_kind": _scalar, "bool": lambda b: str(bool(b)).lower()})
    if isinstance(value, (list, tuple)) and any(isinstance(v, Tensor) for v in value):
        inner = ", ".join(_text(v, summarize) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_text(v, summarize)}" for k, v in value.items()) + "}"
    return str(value)


def _scalar(v):
    return f"{v:g}" if isinstance(v, (float, np.floating)) else str(v)


def tf_print(*inputs, output_stream=None, summarize=None, sep=" ", end="\n", name=None):
    """``tf.print``: prints tensors as their values (``[1 2 3]``, large ones summarized with
    ``...``, ``summarize=-1`` for all), other objects as ``print`` does; to standard error by
    default, as TensorFlow (``output_stream=sys.stdout`` to change it)."""
    stream = sys.stderr if output_stream is None else output_stream
    print(sep.join(_text(v, summarize) for v in inputs), end=end, file=stream)


# ------------------------------------------------------------------ tf.test
test = Namespace("test", {
    "is_gpu_available": lambda cuda_only=False, min_cuda_compute_capability=None: False,
    "is_built_with_cuda": lambda: False, "is_built_with_gpu_support": lambda: False,
    "gpu_device_name": lambda: ""})
