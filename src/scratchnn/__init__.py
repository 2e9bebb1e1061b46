"""scratchnn: deep learning from scratch on NumPy, readable and fast.

The engine (``Tensor``, ``no_grad``) lives in ``scratchnn.autograd``, the
differentiable functions in ``scratchnn.functional`` (``import scratchnn.functional as F``),
and ``gradcheck`` verifies any function's gradients numerically.
"""
from .autograd import Function, Tensor, enable_grad, is_grad_enabled, no_grad
from . import functional
from . import optimizers
from .gradcheck import GradcheckError, gradcheck

__version__ = "0.1.0"

__all__ = ["Tensor", "Function", "no_grad", "enable_grad", "is_grad_enabled",
           "functional", "gradcheck", "GradcheckError", "__version__"]
