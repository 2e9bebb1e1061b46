"""scratchnn: deep learning from scratch on NumPy, readable and fast.

* ``scratchnn.autograd``: the engine (``Tensor``, ``Function``, ``no_grad``);
* ``scratchnn.functional`` (``F``): differentiable ops, activations and losses;
* ``scratchnn.layers``, ``optimizers``, ``losses``, ``metrics``, ``initializers``,
  ``regularizers``, ``constraints``, ``callbacks``, ``models``: Keras's building blocks;
* ``scratchnn.keras`` (and ``scratchnn.compat.tensorflow`` as ``tf``): the tf.keras layout;
* ``scratchnn.datasets``: MNIST and Fashion-MNIST, cached and checksummed;
* ``scratchnn.plot``: learning curves, confusion matrices, image grids, decision boundaries;
* ``scratchnn.inspect``: looking inside a network (per-layer statistics while it trains,
  plain-language training diagnostics, how one prediction is formed);
* ``scratchnn.preprocessing``: encoders, scalers, train/test split, k-fold, batches;
* ``scratchnn.saving``: the ``.scratchnn`` model file (JSON + safetensors in a zip), atomic writes;
* ``gradcheck`` verifies any function's gradients numerically.
"""
from .autograd import Function, Tensor, enable_grad, is_grad_enabled, no_grad
from . import functional
from . import (callbacks, constraints, datasets, initializers, layers, losses, metrics, models,
               optimizers, preprocessing, regularizers, saving, utils)
from . import model_selection
from . import inspect           # looking inside a network (TrainingMonitor, Diagnostics, explain)
from .gradcheck import GradcheckError, gradcheck
from .backend import tune_allocator as _tune_allocator
from .models import Model, Sequential

_tune_allocator()        # reuse freed memory across training steps (see backend.tune_allocator)

__version__ = "0.1.0"


def __getattr__(name):
    # ``scratchnn.plot`` is imported on first use, so ``import scratchnn`` does not load matplotlib.
    if name == "plot":
        import importlib
        return importlib.import_module(".plot", __name__)
    raise AttributeError(f"module 'scratchnn' has no attribute {name!r}")

__all__ = ["Tensor", "Function", "no_grad", "enable_grad", "is_grad_enabled", "functional",
           "callbacks", "constraints", "datasets", "initializers", "layers", "losses", "metrics",
           "models", "optimizers", "preprocessing", "regularizers", "saving", "utils", "Model",
           "Sequential", "gradcheck", "GradcheckError", "__version__", "inspect", "model_selection"]
