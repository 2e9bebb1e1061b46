"""What ``compile`` keeps for a model's outputs: the loss of each output and its weight
(``CompiledLoss``) and the metrics of each output (``CompiledMetrics``), as Keras 3's
``CompileLoss`` and ``CompileMetrics`` do.

A model with one output has one loss and a list of metrics. A model whose ``call`` returns a list,
a tuple or a dict of tensors has several outputs, each with a name: ``model.output_names`` when
the model sets it (a functional model does), else the dict's keys (sorted, as Keras flattens a
dict), else ``output_1``, ``output_2``, ... (tf.keras's names for a subclassed model's list:
Keras 3 names such outputs after their loss, which repeats a name when two outputs share a loss).
Then, as Keras 3:

    loss          = sum_k  w_k * loss_k(y_k, y_pred_k)        (w_k: loss_weights, 1 by default)
    logs          = {"loss": ..., "<name>_loss": loss_k (unweighted), "<name>_<metric>": ...}

* ``loss``: one loss (used for every output), a list (one per output, in order) or a dict by
  output name (an output without an entry has no loss);
* ``loss_weights``: a list or a dict in the same way (a number for a model with one output);
* ``metrics`` (and ``weighted_metrics``): a dict by output name (a metric or a list of them each),
  or a list with one entry per output (a metric, or a list of metrics): ``['accuracy', 'mae']``
  gives ``accuracy`` to the first output and ``mae`` to the second; ``[['accuracy'], ['mae', 'mse']]``
  as well. A list of another length is refused, as Keras 3 refuses it.

Nothing is known about the outputs at ``compile`` time (a subclassed model's ``call`` has not run),
so both objects are built at the first batch, from the predictions.
"""
import warnings

import numpy as np

from .. import losses as _losses
from .. import metrics as _metrics
from ..autograd import Tensor, get_mask


# ------------------------------------------------------------------ outputs
def output_names(names, y_pred):
    """The names of the outputs of ``y_pred`` (a list), or None for a model with one output
    (``names``: the model's ``output_names``, when it has them)."""
    if isinstance(y_pred, dict):
        if names and set(names) == set(y_pred):
            return list(names)
        return sorted(y_pred)
    if isinstance(y_pred, (list, tuple)):
        if names and len(names) == len(y_pred):
            return list(names)
        return [f"output_{i + 1}" for i in range(len(y_pred))]
    return None


def flat_outputs(value, names, what):
    """``value`` (targets, predictions or sample weights of several outputs) as a list in the
    order of ``names``: a dict by name, or a list/tuple in order. ``what`` names it in errors."""
    if isinstance(value, dict):
        unknown = [k for k in value if k not in names]
        if unknown:
            raise ValueError(f"{what} has the key {unknown[0]!r}, which is not an output of the model; "
                             f"its outputs are {', '.join(map(repr, names))}")
        missing = [n for n in names if n not in value]
        if missing:
            raise ValueError(f"{what} has no entry for the output {missing[0]!r}; the model's outputs "
                             f"are {', '.join(map(repr, names))}")
        return [value[n] for n in names]
    if isinstance(value, (list, tuple)):
        if len(value) != len(names):
            raise ValueError(f"{what} has {len(value)} entries but the model has {len(names)} outputs "
                             f"({', '.join(names)}): give one per output, in order, or a dict by name")
        return list(value)
    raise ValueError(f"{what} is a single {type(value).__name__} but the model has {len(names)} outputs "
                     f"({', '.join(names)}): give a list with one entry per output, or a dict by name")


def pack_outputs(flat, like):
    """The list ``flat`` back in the structure of ``like`` (a dict, list or tuple of outputs)."""
    if isinstance(like, dict):
        keys = list(like)
        return dict(zip(keys, flat))
    return type(like)(flat)


def _per_output(spec, names, what, default):
    """One entry per output from a dict by name or a list in order (``default`` for the missing)."""
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in names]
        if unknown:
            raise ValueError(f"{what}: the key {unknown[0]!r} is not an output of the model; its "
                             f"outputs are {', '.join(map(repr, names))}")
        return [spec.get(n, default) for n in names]
    if isinstance(spec, (list, tuple)):
        if len(spec) != len(names):
            raise ValueError(f"{what} has {len(spec)} entries but the model has {len(names)} outputs "
                             f"({', '.join(names)}): give one per output, in order, or a dict by "
                             "output name")
        return list(spec)
    return None


# ------------------------------------------------------------- compile's arguments
def metric_spec(value, name):
    """``compile``'s ``metrics``: a list (of metrics, or of lists of them), a dict by output name, or
    one metric (a list of it)."""
    if value is None:
        return []
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def is_config(value):
    return isinstance(value, dict) and "class_name" in value


def map_spec(fn, spec):
    """``fn`` applied to each entry of a loss, loss-weights or metrics argument: one entry, a list
    (of entries or of lists) or a dict by output name (a ``{class_name, config}`` dict is one entry)."""
    if isinstance(spec, (list, tuple)):
        return [map_spec(fn, v) for v in spec]
    if isinstance(spec, dict) and not is_config(spec):
        return {k: map_spec(fn, v) for k, v in spec.items()}
    return fn(spec)


def metric_leaves(spec):
    found = []
    map_spec(found.append, spec)
    return found


def copy_spec(spec):
    return map_spec(lambda v: v, spec)


def keras_order(known, logged):
    """The logged names in Keras 3's order: those ``known`` (the names of ``model.metrics``, in
    order) first, then the others sorted."""
    logged = list(dict.fromkeys(logged))
    first = [name for name in dict.fromkeys(known) if name in logged]
    return first + sorted(name for name in logged if name not in first)



# ------------------------------------------------------------------ the loss
class CompiledLoss:
    """The compiled loss of a model: ``compiled(y, y_pred, sample_weight)`` is the weighted sum of
    the outputs' losses (a scalar Tensor). With several losses it keeps one running mean per output
    (``metrics``: ``Mean`` named ``'<output>_loss'``, of the unweighted loss, as Keras 3)."""

    def __init__(self, loss, loss_weights=None, output_names=None):
        self.output_names = output_names      # the model's, when it names its outputs
        if isinstance(loss, dict):
            self.spec = {k: None if v is None else _losses.get(v) for k, v in loss.items()}
        elif isinstance(loss, (list, tuple)):
            self.spec = [None if v is None else _losses.get(v) for v in loss]
        if isinstance(loss, (list, tuple, dict)):
            if all(v is None for v in (self.spec.values() if isinstance(loss, dict) else self.spec)):
                raise ValueError("loss: every entry is None; give at least one output a loss")
        else:
            self.spec = _losses.get(loss)
        if loss_weights is not None and not isinstance(loss_weights, (list, tuple, dict)):
            if isinstance(loss_weights, bool) or not isinstance(loss_weights, (int, float, np.number)):
                raise ValueError(f"loss_weights must be a number, a list or a dict, got {loss_weights!r}")
        self.weights_spec = loss_weights
        self.names = None                # the output names once built (None: one output)
        self.entries = None              # [(name, Loss or None, weight)]
        self.metrics = []                # one Mean per loss when there are several

    # the single output (the usual case): the loss and its weight, known at compile time
    @property
    def single(self):
        """``(loss, weight)`` when the loss is one loss and the weights fit one output, else None."""
        if isinstance(self.spec, (list, tuple, dict)):
            values = list(self.spec.values() if isinstance(self.spec, dict) else self.spec)
            if len(values) != 1:
                return None
            loss = values[0]
        else:
            loss = self.spec
        w = self.weights_spec
        if isinstance(w, (list, tuple, dict)):
            values = list(w.values() if isinstance(w, dict) else w)
            if len(values) != 1:
                return loss, None
            w = values[0]
        return loss, 1.0 if w is None else float(w)

    def build(self, names):
        """Fix one loss and one weight per output (``names``: the output names, None for one)."""
        if names is None:
            single = self.single
            if single is None:
                n = len(self.spec)
                raise ValueError(f"loss has {n} entries but the model has one output: pass one loss")
            if single[1] is None:
                raise ValueError(f"loss_weights has {len(self.weights_spec)} entries for a model with "
                                 "one output")
            self.entries = [(None, single[0], single[1])]
        else:
            losses = _per_output(self.spec, names, "loss", None)
            if losses is None:
                losses = [self.spec] * len(names)
            weights = self.weights_spec
            if weights is None:
                weights = [1.0] * len(names)
            else:
                weights = _per_output(weights, names, "loss_weights", 1.0)
                if weights is None:
                    raise ValueError(f"loss_weights is one number ({self.weights_spec!r}) but the model has "
                                     f"{len(names)} outputs ({', '.join(names)}): give a list or a dict")
            self.entries = [(n, loss, float(w)) for n, loss, w in zip(names, losses, weights)]
        self.names = names
        with_loss = [e for e in self.entries if e[1] is not None]
        self.metrics = ([_metrics.Mean(name=f"{n}_loss") for n, _, _ in with_loss]
                        if len(with_loss) > 1 else [])

    def __call__(self, y, y_pred, sample_weight=None, quiet_from_logits=False):
        if self.entries is None:
            self.build(output_names(self.output_names, y_pred))
        names = self.names
        if names is None:
            _, loss_fn, weight = self.entries[0]
            value = _call_loss(loss_fn, y, y_pred, sample_weight, quiet_from_logits)
            return value * weight if weight != 1.0 else value
        ys = flat_outputs(y, names, "y")
        preds = flat_outputs(y_pred, names, "the model's outputs")
        weights = (flat_outputs(sample_weight, names, "sample_weight")
                   if isinstance(sample_weight, (list, tuple, dict)) else [sample_weight] * len(names))
        total, trackers = None, iter(self.metrics)
        for (name, loss_fn, weight), yt, yp, sw in zip(self.entries, ys, preds, weights):
            if loss_fn is None:
                continue
            if yt is None:
                raise ValueError(f"output {name!r} has a loss but y has no targets for it")
            try:
                value = _call_loss(loss_fn, yt, yp, sw, quiet_from_logits)
            except ValueError as err:
                raise ValueError(f"output {name!r}: {err}") from None
            tracker = next(trackers, None)
            if tracker is not None:
                tracker.update_state(float(value.data), sample_weight=len(yt))
            term = value * weight if weight != 1.0 else value
            total = term if total is None else total + term
        return total


def _call_loss(loss_fn, y, y_pred, sample_weight, quiet_from_logits):
    if quiet_from_logits:           # said once at compile, not again every batch
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*from_logits=True, but y_pred")
            return loss_fn(y, y_pred, sample_weight=sample_weight)
    return loss_fn(y, y_pred, sample_weight=sample_weight)


# ------------------------------------------------------------------ the metrics
class CompiledMetrics(_metrics.Metric):
    """The metrics given to ``compile`` (``metrics`` and ``weighted_metrics``), one container:
    ``update_state(y, y_pred, sample_weight)`` updates them all, ``result()`` is a dict of their
    values by logged name (``'accuracy'``; ``'<output>_accuracy'`` with several outputs). It sits in
    ``model.metrics`` under the name ``'compile_metrics'``, as in Keras 3."""

    def __init__(self, metrics, weighted_metrics, output_names=None):
        super().__init__(name="compile_metrics")
        self._plain_spec, self._weighted_spec = metrics, weighted_metrics
        self.output_names = output_names      # the model's, when it names its outputs
        self.names = None
        self.entries = None         # [(logged name, metric, output index, weighted)]

    @property
    def built(self):
        return self.entries is not None

    @property
    def metrics(self):
        """The metric objects, in order (unprefixed names; empty before the first batch)."""
        return [m for _, m, _, _ in self.entries or ()]

    def build(self, y, y_pred, names):
        entries, taken = [], set()
        if names is None:
            ys, preds = [y], [_values(y_pred)]
        else:
            ys = flat_outputs(y, names, "y")
            preds = [_values(p) for p in flat_outputs(y_pred, names, "y_pred")]
        for spec, weighted, what in ((self._plain_spec, False, "metrics"),
                                     (self._weighted_spec, True, "weighted_metrics")):
            for index, ids in enumerate(_metric_lists(spec, names, what)):
                prefix = "" if names is None else f"{names[index]}_"
                for identifier in ids:
                    metric = _metrics.get(identifier, y_true=ys[index], y_pred=preds[index])
                    name = prefix + metric.name
                    if name in taken and weighted:
                        name = prefix + "weighted_" + metric.name
                    base, k = name, 1
                    while name in taken:
                        name, k = f"{base}_{k}", k + 1
                    taken.add(name)
                    entries.append((name, metric, index, weighted))
        self.names, self.entries = names, entries

    def update_state(self, y, y_pred, sample_weight=None):
        if self.entries is None:
            self.build(y, y_pred, output_names(self.output_names, y_pred))
        names = self.names
        if names is None:
            ys, preds, weights = [y], [y_pred], [sample_weight]
        else:
            ys, preds = flat_outputs(y, names, "y"), flat_outputs(y_pred, names, "y_pred")
            weights = (flat_outputs(sample_weight, names, "sample_weight")
                       if isinstance(sample_weight, (list, tuple, dict)) else [sample_weight] * len(names))
        prepared = [_metric_inputs(yp, sw) for yp, sw in zip(preds, weights)]
        for _, metric, index, weighted in self.entries:
            values, plain_weight, weighted_weight = prepared[index]
            metric.update_state(ys[index], values,
                                sample_weight=weighted_weight if weighted else plain_weight)

    def result(self):
        return {name: metric.result() for name, metric, _, _ in self.entries or ()}

    def reset_state(self):
        for metric in self.metrics:
            metric.reset_state()


def _values(y_pred):
    return y_pred.data if isinstance(y_pred, Tensor) else y_pred


def _metric_inputs(y_pred, sample_weight):
    """``(predictions, weight of the plain metrics, weight of the weighted metrics)``. When the
    output carries a mask (``Embedding(mask_zero=True)`` upstream) the metrics count only its real
    time steps, as Keras's do: the mask is their sample weight (times ``sample_weight``)."""
    mask = get_mask(y_pred) if isinstance(y_pred, Tensor) else None
    values = _values(y_pred)
    if mask is None:
        return values, None, sample_weight
    plain = mask.astype(np.float64)
    if sample_weight is None:
        return values, plain, plain
    sw = np.asarray(sample_weight, dtype=np.float64)
    return values, plain, sw.reshape(sw.shape + (1,) * (mask.ndim - sw.ndim)) * plain


def _metric_lists(spec, names, what):
    """One list of metric identifiers per output (a single list for one output)."""
    if spec is None or (isinstance(spec, (list, tuple, dict)) and not spec):
        return [[] for _ in names] if names is not None else [[]]
    if names is None:
        if isinstance(spec, dict):
            spec = [m for v in spec.values() for m in (v if isinstance(v, (list, tuple)) else [v])]
        return [list(spec) if isinstance(spec, (list, tuple)) else [spec]]
    if not isinstance(spec, (list, tuple, dict)):
        spec = [spec]
    if isinstance(spec, (list, tuple)) and len(spec) != len(names):
        raise ValueError(f"{what} has {len(spec)} entries but the model has {len(names)} outputs "
                         f"({', '.join(names)}): as in Keras 3, a list gives each output its metric "
                         f"(or list of metrics) in order; to measure every output, pass "
                         f"{what}={{{', '.join(repr(n) + ': [...]' for n in names)}}} or a list of "
                         f"{len(names)} lists")
    per = _per_output(spec, names, what, [])
    return [[] if ids is None else list(ids) if isinstance(ids, (list, tuple)) else [ids] for ids in per]
