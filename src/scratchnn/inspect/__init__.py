"""Looking inside a network: what each layer outputs, how strong its gradients are, how its weights
move while it trains, and how one prediction is formed.

Without training::

    from scratchnn import inspect
    acts = inspect.layer_activations(model, x[:256])       # {layer name: output array}
    norms = inspect.gradient_norms(model, x[:256], y[:256])  # {layer name: ||dL/dW||}, model unchanged
    e = inspect.explain(model, x[0], temperature=2.0)       # layer by layer, then the probabilities
    print(e); e.plot()

While training (callbacks)::

    monitor = inspect.TrainingMonitor(every=50)             # or every='epoch'
    diagnostics = inspect.Diagnostics()                     # prints plain-language hints
    model.fit(x, y, epochs=10, validation_split=0.1, callbacks=[monitor, diagnostics])
    steps, norms = monitor.series("gradient_norm", "dense")
    monitor.save("runs/mnist")                              # monitor.csv + monitor.json
    scratchnn.plot.gradient_norms(monitor)

The modules:

* ``statistics.py``: what is measured per layer, each a formula on arrays;
* ``capture.py``: one forward pass with every layer's output (forward hooks), ``layer_activations``,
  ``gradient_norms``;
* ``monitor.py``: ``TrainingMonitor``, the statistics recorded while ``fit`` runs;
* ``diagnostics.py``: ``Diagnostics``, plain-language hints from them;
* ``explain.py``: ``explain``, one prediction followed layer by layer;
* ``model_graph.py``: ``model_to_dot`` and ``plot_model`` (``keras.utils.plot_model``), the
  layers as a graph (Graphviz).

Everything here sees a model only through its public surface (``layer.add_forward_hook``,
``model.add_gradient_hook``, ``model.walk()``, ``model.snapshot()``), as any tool built on
scratchnn can.
"""
from .capture import gradient_norms, layer_activations
from .diagnostics import Diagnostics, Hint
from .explain import Explanation, LayerOutput, explain
from .model_graph import model_to_dot, plot_model
from .monitor import TrainingMonitor
from .statistics import METRICS

__all__ = ["layer_activations", "gradient_norms", "TrainingMonitor", "Diagnostics", "Hint", "explain",
           "Explanation", "LayerOutput", "METRICS", "model_to_dot", "plot_model"]
