"""Saving and showing figures (``scratchnn/plot/figure.py``): atomic PNG, SVG and PDF files,
inline display, nothing left in pyplot.
"""
import os

import pytest

from scratchnn import plot

from tests.plot.helpers import digits

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------------ saving
def test_save_png_atomically_creating_folders(tmp_path, rng):
    path = tmp_path / "new" / "deeper" / "grid.png"
    fig = plot.image_grid(digits(4, rng), path=path)
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 1000
    assert os.listdir(path.parent) == ["grid.png"]              # no temporary file left behind
    assert isinstance(fig, plot.PlotFigure)


def test_save_svg_and_pdf_by_extension(tmp_path):
    history = {"loss": [1.0, 0.5]}
    plot.learning_curves(history, path=tmp_path / "c.svg")
    plot.learning_curves(history, path=str(tmp_path / "c.PDF"))
    assert b"<svg" in (tmp_path / "c.svg").read_bytes()[:2000]
    assert (tmp_path / "c.PDF").read_bytes().startswith(b"%PDF")
    with pytest.raises(ValueError, match=r"\.png, \.svg or \.pdf"):
        plot.learning_curves(history, path=tmp_path / "c.jpg")
    assert sorted(os.listdir(tmp_path)) == ["c.PDF", "c.svg"]


def test_failed_save_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "curves.png"
    path.write_bytes(b"old image")

    def broken_savefig(self, fname, **kwargs):
        fname.write(b"\x89PNG half")                           # a partial write, then a crash
        raise RuntimeError("disk full")
    monkeypatch.setattr(plot.PlotFigure, "savefig", broken_savefig)
    with pytest.raises(RuntimeError, match="disk full"):
        plot.learning_curves({"loss": [1.0, 0.5]}, path=path)
    assert path.read_bytes() == b"old image"
    assert os.listdir(tmp_path) == ["curves.png"]


def test_figures_render_inline_and_stay_out_of_pyplot(rng):
    import matplotlib.pyplot as plt
    before = plt.get_fignums()
    fig = plot.confusion_matrix([0, 1, 1], [0, 1, 0])
    png = fig._repr_png_()                                       # what Jupyter displays
    assert png.startswith(PNG_MAGIC)
    plot.learning_curves({"loss": [1.0]})
    plot.filters(rng.random((3, 3, 1, 2)))
    assert plt.get_fignums() == before                           # nothing registered with pyplot
