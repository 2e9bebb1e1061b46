"""Helpers of the lab tests: the plotting axes of a figure, titles and legends, and the files a
saved experiment writes.
"""
import json


def suptitle(fig):
    return fig.get_suptitle() if hasattr(fig, "get_suptitle") else fig._suptitle.get_text()


def plot_axes(fig):
    """The axes that draw data (colour bars left out)."""
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>" and ax.get_visible()]


def legend_texts(ax):
    legend = ax.get_legend()
    assert legend is not None, f"axes {ax.get_title()!r} has no legend"
    return [t.get_text() for t in legend.get_texts()]


def assert_saved(result, folder):
    """The report, the numbers and one PNG per figure are written, and the files say what the result says."""
    names = {p.name for p in folder.iterdir()}
    assert {"report.txt", "numbers.json"} <= names
    assert {f"{stem}.png" for stem in result.figures} <= names
    for stem in result.figures:
        assert (folder / f"{stem}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((folder / "numbers.json").read_text()) == json.loads(json.dumps(result.numbers))
    assert (folder / "report.txt").read_text() == result.report


def figure_axes(fig):
    """The figure's plotting axes (colorbars left out)."""
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]


def check_axes(ax, legend):
    assert ax.get_title() or ax.get_title(loc="left"), "panel without a title"
    assert ax.get_xlabel(), f"panel {ax.get_title()!r} has no x label"
    assert ax.get_ylabel(), f"panel {ax.get_title()!r} has no y label"
    if legend:
        assert ax.get_legend() is not None, f"panel {ax.get_title()!r} has no legend"
