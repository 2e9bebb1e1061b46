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
* ``scratchnn.studio``: watch and steer training live in the browser (``studio.Live()``);
* ``scratchnn.saving``: the ``.scratchnn`` model file (JSON + safetensors in a zip), atomic writes;
* ``scratchnn.registry``: every name that stands for an object ('relu', 'adam', 'Dense', ...);
* ``scratchnn.kernels``: the fast paths (``scratchnn.backend.set_fast_kernels(False)`` turns
  them off and runs the readable reference code);
* ``gradcheck`` verifies any function's gradients numerically.

``ARCHITECTURE.md`` (in the repository) maps the package: which module may import which.

``import scratchnn`` loads only the engine (``autograd``, ``ops``, ``gradcheck``); each subpackage
is imported the first time it is used (``scratchnn.layers``, ``from scratchnn import Sequential``:
PEP 562's module ``__getattr__`` below), so that a script pays only for what it uses. A registry
asked for a name it does not hold yet first imports the packages that fill the registries.
"""
import importlib

from .autograd import Function, Tensor, enable_grad, is_grad_enabled, no_grad
from . import ops                 # attaches Tensor's operators (+, @, .sum(), ...)
from . import registry
from .gradcheck import GradcheckError, gradcheck
from .version import __version__

#: The subpackages and modules imported on first use (``scratchnn.plot`` and ``scratchnn.lab`` load
#: matplotlib; ``distributed`` loads mpi4py only when it runs).
LAZY_MODULES = ("autograd", "backend", "callbacks", "cli", "compat", "constraints", "datasets",
                "distributed", "export", "functional", "generation", "initializers", "inspect", "keras",
                "kernels", "lab", "layers", "losses", "metrics", "model_selection", "models", "ops",
                "optimizers", "plot", "preprocessing", "random", "regularizers", "saving", "sklearn",
                "studio", "utils", "windows")
#: Names of the package that live in a lazy module.
LAZY_NAMES = {"Model": "models", "Sequential": "models"}
#: What a registry lookup that misses imports first (the packages that add names to registries).
REGISTRY_FILLERS = ("functional", "layers", "losses", "metrics", "optimizers", "initializers",
                    "regularizers", "constraints", "callbacks", "models")


def __getattr__(name):
    if name in LAZY_NAMES:
        value = getattr(importlib.import_module("." + LAZY_NAMES[name], __name__), name)
        globals()[name] = value
        return value
    if name in LAZY_MODULES:
        return importlib.import_module("." + name, __name__)
    raise AttributeError(f"module 'scratchnn' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(LAZY_MODULES) | set(LAZY_NAMES))


def _fill_registries():
    for module in REGISTRY_FILLERS:
        importlib.import_module("." + module, __name__)


registry.set_loader(_fill_registries)

# ``inspect`` is left out of __all__: ``from scratchnn import *`` must not hide the standard library's.
__all__ = ["Tensor", "Function", "no_grad", "enable_grad", "is_grad_enabled", "functional",
           "callbacks", "constraints", "datasets", "initializers", "layers", "losses", "metrics",
           "models", "optimizers", "preprocessing", "registry", "regularizers", "saving", "utils", "Model",
           "Sequential", "gradcheck", "GradcheckError", "__version__", "model_selection", "generation",
           "distributed"]
