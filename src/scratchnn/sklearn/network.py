"""Building the network from the estimator's parameters: the built-in MLP (``hidden_layer_sizes``,
``activation``), a model-building function (with the ``model__<name>`` arguments and the data's
sizes), or a list of layers, always with fresh weights; then compiling it with ``optimizer`` at
``learning_rate``, ``loss`` and ``metrics`` unless it comes compiled.

``NetworkBuilder`` holds these steps as methods of the estimators (it reads their parameters).
"""
import inspect
import numbers
import warnings

import numpy as np

from .. import layers as _layers
from .. import losses as _losses
from .. import optimizers as _optimizers
from ..layers.base import Layer
from ..model_selection import first_return
from ..models import Model, Sequential
from .validation import describe


class NetworkBuilder:
    """The network of a fit, from the estimator's parameters (a mixin of ``NeuralNetBase``: it reads
    ``model``, ``hidden_layer_sizes``, ``activation``, ``optimizer``, ``learning_rate``, ``loss``,
    ``metrics`` and the routed ``model__*`` / ``optimizer__*`` arguments, and calls the subclass
    hooks ``_output_layer``, ``_default_loss`` and ``_check_output``)."""

    def _hidden_layers(self):
        """``Dense(h, activation)`` for each ``h`` of ``hidden_layer_sizes`` (an int or a sequence)."""
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, (numbers.Integral, np.integer)) and not isinstance(sizes, bool):
            sizes = (sizes,)
        try:
            sizes = list(sizes)
        except TypeError:
            sizes = None
        if sizes is None or not all(isinstance(h, (numbers.Integral, np.integer)) and not isinstance(h, bool)
                                    and h > 0 for h in sizes):
            raise ValueError(f"hidden_layer_sizes must be a positive integer or a sequence of positive "
                             f"integers (e.g. (100,) or (64, 32)), got {describe(self.hidden_layer_sizes)}")
        return [_layers.Dense(int(h), activation=self.activation) for h in sizes]

    def _new_network(self, meta):
        """A new, built, uncompiled-or-compiled network from the ``model`` argument."""
        spec = self.model
        routed = self._routed("model__")
        if routed and not callable(spec):
            raise ValueError(f"model__{next(iter(routed))} is passed to a model-building function, but "
                             f"model is {'None' if spec is None else 'a list of layers'}; for the built-in "
                             f"network use hidden_layer_sizes and activation")
        if spec is None:
            net = Sequential([_layers.Input((meta["n_features_in"],))] + self._hidden_layers()
                             + [self._output_layer(meta)])
        elif isinstance(spec, Model):
            raise TypeError("model must be None, a function that builds a scratchnn Model, or a list of "
                            f"layers, got a {type(spec).__name__} instance; pass a function that builds it "
                            "(e.g. model=lambda: Sequential([...])) or the list of its layers, so that "
                            "every fit starts from fresh weights")
        elif isinstance(spec, (list, tuple)):
            if not spec:
                raise ValueError("model is an empty list: give the network's layers, output layer included")
            self._check_mlp_arguments_unset("a list of layers")
            net = Sequential([self._fresh_layer(item, i) for i, item in enumerate(spec)])
        elif callable(spec):
            self._check_mlp_arguments_unset("a model-building function")
            net = self._call_build_function(spec, routed, meta)
        else:
            raise TypeError("model must be None, a function that builds a scratchnn Model, or a list of "
                            f"layers, got {describe(spec)}")
        net.ensure_built((meta["n_features_in"],))    # as Model.fit builds it: all or nothing
        return net

    def _check_mlp_arguments_unset(self, given):
        """``hidden_layer_sizes`` and ``activation`` shape only the built-in network: set for another one,
        they would be ignored (and a search over them would train the same network again and again)."""
        unused = [f"{name}={value!r}" for name, value, default in (
            ("hidden_layer_sizes", self.hidden_layer_sizes, (100,)), ("activation", self.activation, "relu"))
            if not (value is default or value == default)]
        if unused:
            raise ValueError(f"{' and '.join(unused)} shape only the built-in network (model=None), but "
                             f"model is {given}, which they would not change: set the layers there (a "
                             "model-building function takes model__<name> arguments)")

    @staticmethod
    def _fresh_layer(item, index):
        """A new layer equal to ``item`` (a Layer, rebuilt from its config, or a serialized dict)."""
        if isinstance(item, Layer):
            try:
                return _layers.deserialize(_layers.serialize(item))
            except Exception as err:
                raise ValueError(f"model[{index}]: cannot rebuild layer '{item.name}' "
                                 f"({type(item).__name__}) from its config ({err}); a custom layer needs "
                                 f"get_config() and scratchnn.layers.register") from err
        if isinstance(item, dict):
            return _layers.deserialize(item)
        raise TypeError(f"model[{index}] must be a scratchnn Layer or a layer config dict "
                        f"({{'class_name': ..., 'config': ...}}), got {describe(item)}")

    @staticmethod
    def _call_build_function(fn, routed, meta):
        """``fn(**routed, **meta it asks for)``; it must return a scratchnn Model."""
        name = getattr(fn, "__name__", type(fn).__name__)
        kwargs = dict(routed)
        try:
            params = inspect.signature(fn).parameters
        except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
            params = None
        if params is not None:
            takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
            named = {k for k, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
            unknown = sorted(set(routed) - named)
            if unknown and not takes_any:
                raise ValueError(f"model__{unknown[0]} was given, but the model-building function "
                                 f"{name}() has no argument {unknown[0]!r} (its arguments: "
                                 f"{', '.join(params) or 'none'})")
            kwargs.update({k: v for k, v in meta.items() if k in named and k not in routed})
        net = fn(**kwargs)
        if not isinstance(net, Model):
            raise TypeError(f"the model-building function {name}() must return a scratchnn Model "
                            f"(e.g. a Sequential), got {describe(net)}")
        if not first_return(net):          # a network made once, outside the function
            raise ValueError(f"the model-building function {name}() returned a network it had returned "
                             "before, whose weights an earlier fit may have trained: create the network "
                             "inside the function, so that every fit starts from fresh weights")
        return net

    def _new_optimizer(self):
        """``optimizer`` at ``learning_rate`` with the ``optimizer__*`` arguments, always a new object
        (a given instance is copied through its config: its state never carries over between fits)."""
        spec = self.optimizer
        args = {"learning_rate": self.learning_rate, **self._routed("optimizer__")}
        if isinstance(spec, str):
            return _optimizers.deserialize({"class_name": spec, "config": args})
        if isinstance(spec, type) and issubclass(spec, _optimizers.Optimizer):
            return spec(**args)
        if isinstance(spec, _optimizers.Optimizer):
            config = spec.get_config()
            if config.get("learning_rate") != self.learning_rate:
                warnings.warn(f"optimizer={type(spec).__name__}(learning_rate={config.get('learning_rate')}) "
                              f"is trained at the estimator's learning_rate={self.learning_rate}: set "
                              "learning_rate on the estimator (which a search can tune)", UserWarning,
                              stacklevel=4)
            return type(spec).from_config({**config, **args})
        if isinstance(spec, dict) and "class_name" in spec:
            return _optimizers.deserialize({"class_name": spec["class_name"],
                                            "config": {**spec.get("config", {}), **args}})
        raise TypeError(f"optimizer must be a name ('adam', 'sgd', ...), an Optimizer class or instance, "
                        f"or a config dict, got {describe(spec)}")

    def _compiled_network(self, meta):
        """Build the network, compile it when it is not compiled yet, and check its output."""
        net = self._new_network(meta)
        if len(net.output_shape) != 2:
            raise ValueError(f"the network's output has shape {net.output_shape}; it must be "
                             "(batch, outputs): end it with a Dense layer (Flatten first, for images)")
        units, act = net.output_shape[-1], net.output_activation()
        if net.compiled:
            ignored = [name for name, value, default in (("optimizer", self.optimizer, "adam"),
                                                         ("learning_rate", self.learning_rate, 0.001),
                                                         ("loss", self.loss, None),
                                                         ("metrics", self.metrics, None))
                       if not (value is default or value == default)]
            ignored += ["optimizer__" + k for k in self._routed("optimizer__")]
            if ignored:
                warnings.warn(f"the model-building function returned a compiled model, so "
                              f"{', '.join(ignored)} of the estimator are not used: return an uncompiled "
                              "model to train with them", UserWarning, stacklevel=3)
            # its optimizer, as a new copy: the function may compile every network with one instance
            # it keeps, whose step count and moments would otherwise carry over from fit to fit
            net.optimizer = type(net.optimizer).from_config(net.optimizer.get_config())
        else:
            loss = self._default_loss(units, act) if self.loss is None else _losses.get(self.loss)
            net.compile(optimizer=self._new_optimizer(), loss=loss, metrics=self.metrics)
        self._check_output(net, units, meta)
        return net
