"""The optimizer's state in a file: the step count, optimizer-wide values and every slot.

``optimizer.safetensors`` (in a model file, or beside the weights in a ``BackupAndRestore``
folder) holds ``iterations``, ``global/<name>`` for each optimizer-wide value (Nadam's
momentum product) and ``<slot>/<weight key>`` for each slot of each weight (Adam's
``momentum`` and ``velocity``), so that training resumes exactly where it stopped. The
optimizer is read and written through its public state methods (``slot_specs``,
``global_state``, ``states``, ``state_for``); reading checks everything before writing anything.
"""
import numpy as np

from .archive import OPTIMIZER, ModelFormatError


def weight_key(index, variable):
    """The key of a weight in the safetensors files: its index in ``model.weights`` and its name."""
    return f"{index:04d}/{variable.name}"


def optimizer_tensors(model):
    """``{key: array}`` of ``model.optimizer``'s state (only its state for ``model``'s weights)."""
    opt = model.optimizer
    tensors = {"iterations": np.array(opt.iterations, dtype=np.int64)}
    for name, value in opt.global_state():
        tensors[f"global/{name}"] = np.array(value, dtype=np.float64)
    keys = {id(w): weight_key(i, w) for i, w in enumerate(model.weights)}
    for var, state in opt.states():
        if id(var) not in keys:        # state of a variable that is not this model's: not saved
            continue
        for slot, arr in state.items():
            tensors[f"{slot}/{keys[id(var)]}"] = np.require(arr, requirements="C")
    return tensors


def restore_optimizer(model, tensors, path):
    """Check ``tensors`` against the model's optimizer; returns a function that writes them."""
    opt = model.optimizer
    weights = model.weights
    slots = [name for name, _ in opt.slot_specs()]
    globals_ = dict(opt.global_state())
    pending = []
    for key, arr in tensors.items():
        if key == "iterations":
            if arr.shape != () or arr.dtype not in (np.int32, np.int64) or not 0 <= int(arr) < 2**62:
                raise ModelFormatError(OPTIMIZER, f"'iterations' must be a non-negative integer scalar, "
                                       f"got {arr.dtype.name}{list(arr.shape)}", path)
            continue
        head, _, rest = key.partition("/")
        if head == "global":
            if rest not in globals_ or arr.shape != () or not np.isfinite(arr):
                raise ModelFormatError(OPTIMIZER, f"unexpected optimizer-wide state {key!r}", path)
            continue
        index = rest.split("/", 1)[0]          # weights are matched by index, as in load_weights
        known = index.isascii() and index.isdigit() and int(index) < len(weights)
        var = weights[int(index)] if known else None
        if head not in slots or var is None:
            raise ModelFormatError(OPTIMIZER, f"tensor {key!r} matches no slot of {type(opt).__name__} "
                                   f"({slots}) and weight of the model", path)
        if arr.shape != var.data.shape or arr.dtype != var.data.dtype:
            raise ModelFormatError(OPTIMIZER, f"slot {key!r} is {arr.dtype.name}{list(arr.shape)}; expected "
                                   f"{var.data.dtype.name}{list(var.data.shape)}", path)
        pending.append((var, head, arr))
    if "iterations" not in tensors:
        raise ModelFormatError(OPTIMIZER, "has no 'iterations'", path)

    def apply():
        opt.iterations = int(tensors["iterations"])
        for key, arr in tensors.items():
            if key.startswith("global/"):
                opt.set_global_state(key[len("global/"):], float(arr))
        for var, slot, arr in pending:
            opt.state_for(var)[slot][...] = arr
    return apply


