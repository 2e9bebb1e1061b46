"""Figures for learning: training curves, confusion matrices, images, decision boundaries, filters.

    import scratchnn.plot as splt
    history = model.fit(x, y, validation_split=0.1, epochs=20)
    splt.learning_curves(history)                       # in Jupyter: the figure shows below the cell
    splt.confusion_matrix(y_test, model.predict(x_test), path="runs/confusion.png")

Every function builds a new figure with matplotlib's object-oriented API and returns it; nothing
goes through ``matplotlib.pyplot``: no global "current figure", nothing shown or kept alive
behind your back, no display (GUI backend) needed. With ``path=...`` the figure is also saved
there (the extension picks PNG, SVG or PDF; missing folders are created; the file is written
under a temporary name and renamed, so a crash never leaves a half-written image).

Showing the figures
-------------------
In Jupyter, write the call as the **last line of a cell**: the figure appears once, below the
cell. (A plain ``matplotlib.figure.Figure`` would not: in a fresh kernel it prints only
``<Figure size 640x480 with 1 Axes>``, because IPython learns to draw figures only once pyplot
has activated its inline backend, by drawing a figure or by ``%matplotlib inline``; a figure
made with ``pyplot.figure()`` instead appears *twice*, once as the cell's value and once more
when pyplot flushes its open figures at the end of the cell. So the functions return a
:class:`PlotFigure`, a ``Figure`` that renders itself as PNG for IPython.) To keep a figure
and show it later, assign it and put the name alone on a line, or call ``display(fig)``.
In a script, save it (``path=...`` or ``fig.savefig(...)``) and open the file.

Colours are the same everywhere: training in blue, validation in orange; misclassified examples
in red.

Where each figure lives
-----------------------
Every figure is importable from ``scratchnn.plot``; the code sits in one module per topic:

* ``figure``: the figure kit every figure (and every ``scratchnn.lab`` experiment) is made with:
  ``PlotFigure``, ``new_figure``, ``save_figure``, the shared colours (``TRAIN_COLOR``,
  ``VAL_COLOR``, ``ERROR_COLOR``, ``SCHEDULE_COLOR``, ``layer_colors``) and layout helpers;
* ``curves``: ``learning_curves`` (the loss and metrics of a History, epoch by epoch);
* ``confusion``: ``confusion_matrix`` and ``confusion_counts``;
* ``images``: ``image_grid`` (images with their labels and predictions, mistakes in red);
* ``boundary``: ``decision_boundary`` (the class a model predicts over the plane);
* ``features``: ``filters`` and ``feature_maps`` (what convolution layers learn and respond to);
* ``training``: figures of ``scratchnn.inspect``'s TrainingMonitor and explain: ``gradient_norms``,
  ``weight_histograms``, ``dead_units``, ``activation_histograms``, ``update_ratios``, ``explanation``;
* ``fonts``: ``use_cjk_font`` (Hangul and other CJK characters in labels, from an installed CJK
  font; every figure calls it) and ``cjk_font``;
* ``selection``: model selection: ``grid_heatmap``, ``roc_curve``, ``precision_recall_curve``;
* ``language``: language models: ``attention_maps`` (a heatmap per layer and head),
  ``temperature_probabilities`` (next-token probabilities at several temperatures);
* ``_inputs`` (internal): reading arrays, class labels and class names.
"""
from .boundary import decision_boundary
from .confusion import confusion_counts, confusion_matrix
from .curves import learning_curves
from .features import feature_maps, filters
from .figure import (DPI, ERROR_COLOR, SCHEDULE_COLOR, TRAIN_COLOR, VAL_COLOR, PlotFigure, layer_colors,
                     new_figure, save_figure)
from .fonts import cjk_font, use_cjk_font
from .images import image_grid
from .language import attention_maps, temperature_probabilities
from .selection import grid_heatmap, precision_recall_curve, roc_curve
from .training import (activation_histograms, dead_units, explanation, gradient_norms, update_ratios,
                       weight_histograms)

__all__ = ["PlotFigure", "learning_curves", "confusion_counts", "confusion_matrix", "image_grid",
           "decision_boundary", "filters", "feature_maps",
           "gradient_norms", "weight_histograms", "dead_units", "activation_histograms", "update_ratios",
           "explanation",
           "grid_heatmap", "roc_curve", "precision_recall_curve",
           "attention_maps", "temperature_probabilities",
           "new_figure", "save_figure", "layer_colors", "use_cjk_font", "cjk_font",
           "TRAIN_COLOR", "VAL_COLOR", "ERROR_COLOR", "SCHEDULE_COLOR", "DPI"]
