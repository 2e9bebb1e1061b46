"""The figure kit: what every figure of ``scratchnn.plot`` (and of ``scratchnn.lab``) is made with.

    from scratchnn.plot.figure import TRAIN_COLOR, VAL_COLOR, new_figure, save_figure
    fig = new_figure(6, 4)                      # a PlotFigure: Jupyter shows it as a cell's value
    ax = fig.add_subplot()
    ax.plot(epochs, loss, color=TRAIN_COLOR, label="training")
    save_figure(fig, "runs/loss.png")           # PNG, SVG or PDF, written atomically

* ``PlotFigure``, ``new_figure``: a matplotlib ``Figure`` built with the object-oriented API
  (no ``pyplot``, no global "current figure", no display needed) that renders itself as PNG for
  IPython;
* ``save_figure``: save a figure to a ``.png``, ``.svg`` or ``.pdf`` file, atomically;
* the colours every figure shares: training in blue (``TRAIN_COLOR``), validation in orange
  (``VAL_COLOR``), mistakes in red (``ERROR_COLOR``), a schedule in grey (``SCHEDULE_COLOR``),
  layers by depth (``layer_colors``);
* Korean (CJK) labels: drawn with an installed CJK font, DejaVu Sans's fallback (``fonts``);
* layout helpers: ``grid_shape`` (a nearly square grid of panels), ``tile_axes`` and
  ``clean_tile`` (grids of image tiles), ``figure_title``, ``message_figure`` (a figure that
  only says something), ``cell_text_color`` (readable text on a coloured cell).
"""
import io
import math
import os
import uuid

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from .fonts import use_cjk_font

__all__ = ["PlotFigure", "new_figure", "save_figure", "TRAIN_COLOR", "VAL_COLOR", "ERROR_COLOR",
           "SCHEDULE_COLOR", "DPI", "layer_colors", "grid_shape", "tile_axes", "clean_tile", "figure_title",
           "message_figure", "cell_text_color"]

TRAIN_COLOR = "#1f77b4"      # matplotlib's tab:blue
VAL_COLOR = "#ff7f0e"        # tab:orange
ERROR_COLOR = "#d62728"      # tab:red
SCHEDULE_COLOR = "#555555"
DPI = 130                    # resolution of saved PNG files (Jupyter shows the figure at 100 dpi)
_SAVE_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


class PlotFigure(Figure):
    """A matplotlib ``Figure`` that Jupyter/IPython displays as an image.

    ``_repr_png_`` is the hook IPython calls for the value of a cell. When pyplot's inline
    backend is active, IPython's own Figure formatter takes precedence over it (same picture);
    either way the figure is shown exactly once.
    """

    def _repr_png_(self):
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=self.dpi, bbox_inches="tight")
        return buffer.getvalue()


def new_figure(width, height):
    """A new, empty :class:`PlotFigure` of ``width`` x ``height`` inches (100 dpi on screen), with
    matplotlib's constrained layout (panels, titles and colour bars do not overlap). Hangul in its
    labels is drawn with an installed CJK font (``fonts.use_cjk_font``)."""
    use_cjk_font()
    return PlotFigure(figsize=(width, height), dpi=100, layout="constrained")


def save_figure(fig, path):
    """Save ``fig`` to ``path`` atomically (temporary file in the same folder, then ``os.replace``).

    The extension picks the format (``.png`` at ``DPI`` dots per inch, ``.svg``, ``.pdf``); missing
    folders are created; ``path=None`` saves nothing (so ``save_figure(fig, path)`` serves the
    ``path=`` argument of every figure)."""
    if path is None:
        return
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if ext not in _SAVE_FORMATS:
        raise ValueError(f"cannot save a figure to {path!r}: the file name must end in .png, .svg or .pdf")
    fmt = _SAVE_FORMATS[ext]
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    # Our own unique name opened with "xb": exclusive like mkstemp, but the permissions follow
    # the umask (mkstemp would leave the final image readable by its owner only).
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    # No creation date in SVG/PDF: the same figure gives the same bytes.
    metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}.get(fmt)
    try:
        with open(tmp, "xb") as f:
            fig.savefig(f, format=fmt, dpi=DPI, bbox_inches="tight", metadata=metadata)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise


def layer_colors(n):
    """One colour per layer, by depth (viridis from dark to light, without the pale yellow end)."""
    cmap = matplotlib.colormaps["viridis"]
    return [cmap(0.85 * i / max(n - 1, 1)) for i in range(n)]


def grid_shape(n, max_cols=None):
    """(rows, cols) of a nearly square grid holding ``n`` tiles."""
    cols = max(1, math.ceil(math.sqrt(n)))
    if max_cols is not None:
        cols = min(cols, max_cols)
    return math.ceil(n / cols), cols


def tile_axes(fig, n, rows, cols):
    """The first ``n`` panels of a ``rows`` x ``cols`` grid on ``fig`` (the unused ones are removed)."""
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.remove()
    return axes[:n]


def clean_tile(ax):
    """No ticks; a thin grey frame, so that a tile's white border stays visible."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor("0.75")
        spine.set_linewidth(0.8)


def figure_title(fig, title):
    """Give ``fig`` the bold title ``title`` above all its panels (nothing when ``title`` is empty)."""
    if title:
        fig.suptitle(title, fontsize="x-large", fontweight="bold")


def message_figure(message, title):
    """A small figure that only says ``message`` (when there is nothing to draw), with ``title``."""
    fig = new_figure(6, 1.6 if not title else 2.0)
    ax = fig.add_subplot()
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize="large", transform=ax.transAxes)
    figure_title(fig, title)
    return fig


def cell_text_color(cmap, norm, value):
    """Black or white, whichever contrasts more with the cell's colour."""
    if not np.isfinite(value):
        return "0.4"
    r, g, b, _ = cmap(norm(value))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "white" if luminance < 0.5 else "black"
