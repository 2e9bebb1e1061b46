"""``import scratchnn.compat.tensorflow as tf``: a course's TensorFlow program runs with
``tf.keras`` backed by scratchnn.  Only ``tf.keras`` and ``tf.random.set_seed`` are
provided; this is not TensorFlow, and no module named ``tensorflow`` is installed.
"""
import types

from .. import keras
from ..utils import set_random_seed
from .tf_data import data  # noqa: F401

random = types.SimpleNamespace(set_seed=set_random_seed)

__all__ = ["keras", "random"]


def __getattr__(name):
    raise AttributeError(f"scratchnn.compat.tensorflow provides tf.keras and tf.random.set_seed only; "
                         f"tf.{name} is not available (this is scratchnn, not TensorFlow)")
