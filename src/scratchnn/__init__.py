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
* ``scratchnn.preprocessing``: encoders, scalers, train/test split, k-fold, batches, ``CharTokenizer``;
* ``scratchnn.generation``: text generation with a language model (``generate``, the samplers);
* ``scratchnn.distributed``: data-parallel training over MPI (``mpiexec -n 4 python train.py``);
* ``scratchnn.saving``: the ``.scratchnn`` model file (JSON + safetensors in a zip), atomic writes;
* ``scratchnn.registry``: every name that stands for an object ('relu', 'adam', 'Dense', ...);
* ``scratchnn.kernels``: the fast paths (``scratchnn.backend.set_fast_kernels(False)`` turns
  them off and runs the readable reference code);
* ``gradcheck`` verifies any function's gradients numerically.

``ARCHITECTURE.md`` (in the repository) maps the package: which module may import which.
"""
import importlib

from .autograd import Function, Tensor, enable_grad, is_grad_enabled, no_grad
from . import ops                 # attaches Tensor's operators (+, @, .sum(), ...)
from . import functional
from . import (callbacks, constraints, datasets, initializers, layers, losses, metrics, models,
               optimizers, preprocessing, registry, regularizers, saving, utils)
from . import generation, model_selection
from . import distributed       # data-parallel training over MPI (mpi4py is imported on first use)
from . import inspect           # looking inside a network (TrainingMonitor, Diagnostics, explain)
from .gradcheck import GradcheckError, gradcheck
from .models import Model, Sequential
from .version import __version__


def __getattr__(name):
    # ``scratchnn.plot`` is imported on first use, so ``import scratchnn`` does not load matplotlib.
    if name == "plot":
        return importlib.import_module(".plot", __name__)
    raise AttributeError(f"module 'scratchnn' has no attribute {name!r}")

# ``inspect`` is left out of __all__: ``from scratchnn import *`` must not hide the standard library's.
__all__ = ["Tensor", "Function", "no_grad", "enable_grad", "is_grad_enabled", "functional",
           "callbacks", "constraints", "datasets", "initializers", "layers", "losses", "metrics",
           "models", "optimizers", "preprocessing", "registry", "regularizers", "saving", "utils", "Model",
           "Sequential", "gradcheck", "GradcheckError", "__version__", "model_selection", "generation",
           "distributed"]
