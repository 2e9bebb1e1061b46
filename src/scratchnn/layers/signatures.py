"""How Keras's own calls are read, so that code written for Keras 3 (or 2) runs unchanged:

* ``run_call(layer, inputs, ...)``: ``layer.call`` with ``training=`` only if ``call`` takes it
  (``def call(self, inputs)`` is what Keras's guides write);
* ``weight_arguments``: ``add_weight``'s arguments in Keras 3's order (``shape`` first, ``name``
  optional) or in the older order with the name first.
"""
import functools
import inspect

__all__ = ["call_takes_training", "run_call", "weight_arguments"]


@functools.lru_cache(maxsize=None)
def call_takes_training(call):
    """Whether a ``call`` function accepts ``training=`` (a parameter of that name, or ``**kwargs``):
    Keras passes ``training`` only to a ``call`` that takes it, so ``def call(self, inputs)`` works."""
    parameters = inspect.signature(call).parameters.values()
    return any(p.name == "training" or p.kind is p.VAR_KEYWORD for p in parameters)


def run_call(layer, inputs, *args, training=False, **kwargs):
    """``layer.call(inputs, ...)``, with ``training=`` only if its ``call`` takes it."""
    call = layer.call
    if call_takes_training(getattr(call, "__func__", call)):
        kwargs["training"] = training
    return call(inputs, *args, **kwargs)


#: ``add_weight``'s positional arguments: Keras 3's order, and scratchnn's older order when the
#: first one is the name (``add_weight("kernel", (3, 4))``, as Keras 2 code also writes it).
_WEIGHT_ARGS = ("shape", "initializer", "dtype", "trainable", "autocast", "regularizer", "constraint",
                "aggregation", "overwrite_with_gradient", "name")
_NAMED_WEIGHT_ARGS = ("name", "shape", "initializer", "regularizer", "trainable", "constraint", "dtype")
#: Keras arguments about distribution and mixed precision: accepted, nothing to do here.
_IGNORED_WEIGHT_ARGS = {"autocast", "aggregation", "overwrite_with_gradient", "synchronization",
                        "use_resource", "getter", "caching_device", "partitioner", "experimental_autocast"}


def weight_arguments(layer_name, args, kwargs):
    """``add_weight``'s arguments as one dict, whichever order they came in (see ``add_weight``)."""
    order = _NAMED_WEIGHT_ARGS if args and isinstance(args[0], str) else _WEIGHT_ARGS
    if len(args) > len(order):
        raise TypeError(f"layer '{layer_name}': add_weight takes at most {len(order)} positional "
                        f"arguments, got {len(args)}")
    for key, value in zip(order, args):
        if key in kwargs:
            raise TypeError(f"layer '{layer_name}': add_weight got {key!r} both by position and by keyword")
        kwargs[key] = value
    unknown = sorted(set(kwargs) - set(_WEIGHT_ARGS) - set(_NAMED_WEIGHT_ARGS) - _IGNORED_WEIGHT_ARGS)
    if unknown:
        raise TypeError(f"layer '{layer_name}': add_weight got unexpected keyword argument(s) "
                        f"{', '.join(unknown)}")
    if kwargs.get("shape") is None:
        raise TypeError(f"layer '{layer_name}': add_weight needs a shape, e.g. "
                        "add_weight(shape=(input_dim, units), initializer='random_normal')")
    return kwargs
