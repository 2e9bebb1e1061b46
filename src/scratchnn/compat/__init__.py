"""Compatibility shims: ``import scratchnn.compat.tensorflow as tf`` gives ``tf.keras``."""
