"""Hangul in figures (``scratchnn/plot/fonts.py``): a CJK font, when one is installed, is the
fallback after DejaVu Sans, so Korean labels are drawn with real glyphs instead of empty boxes.
"""
import contextlib
import warnings

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from scratchnn import plot
from scratchnn.plot import fonts

needs_cjk_font = pytest.mark.skipif(
    fonts.cjk_font() is None,
    reason="no font with Hangul installed (Debian/Ubuntu: apt-get install fonts-nanum; see the README)")


def render(text, title=None):
    """The RGBA pixels of ``text`` drawn by the figure kit on an Agg canvas, and the warnings raised."""
    fig = plot.new_figure(2.0, 1.0)
    fig.text(0.5, 0.5, text, fontsize=24, ha="center", va="center")
    if title:
        fig.suptitle(title, fontweight="bold")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy(), [str(w.message) for w in caught]


@contextlib.contextmanager
def monkeypatched_cjk_font(value):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fonts, "cjk_font", lambda: value)
        yield


# ------------------------------------------------------------------ with a CJK font installed
@needs_cjk_font
def test_hangul_is_drawn_with_real_glyphs():
    with matplotlib.rc_context():
        ga, ga_warnings = render("가", title="학습 곡선 (loss)")
        na, na_warnings = render("나")
        box, _ = render("\U000F0000")           # a private-use code point no font has: the empty box
    # No glyph was missing, and two syllables look different (empty boxes would all be the same).
    assert not [w for w in ga_warnings + na_warnings if "missing from font" in w]
    assert not np.array_equal(ga, na)
    assert not np.array_equal(ga, box) and not np.array_equal(na, box)
    assert (ga[..., :3] < 128).any()                    # something dark was drawn


@needs_cjk_font
def test_latin_text_keeps_the_default_font():
    with matplotlib.rc_context():
        matplotlib.rcParams["font.family"] = ["sans-serif"]
        name = plot.use_cjk_font()
        assert name == fonts.cjk_font() and matplotlib.rcParams["font.family"] == ["sans-serif", name]
        plot.use_cjk_font()                                      # a second call adds nothing
        assert matplotlib.rcParams["font.family"] == ["sans-serif", name]
        # Latin text looks exactly as it does without the fallback.
        with_fallback, _ = render("Loss 0.25 (-1)")
    with matplotlib.rc_context():
        matplotlib.rcParams["font.family"] = ["sans-serif"]
        with monkeypatched_cjk_font(None):
            without, _ = render("Loss 0.25 (-1)")
        assert matplotlib.rcParams["font.family"] == ["sans-serif"]
    np.testing.assert_array_equal(with_fallback, without)
    # A figure made after an rc_context put the list back gets the fallback again.
    with matplotlib.rc_context():
        matplotlib.rcParams["font.family"] = ["serif"]
        render("한")
        assert matplotlib.rcParams["font.family"] == ["serif", name]


# ------------------------------------------------------------------ without one
def test_fallback_goes_right_after_the_first_installed_family():
    installed = {"DejaVu Sans", "Helvetica"}          # e.g. Arial is missing
    assert fonts.fallback_list(["Arial", "DejaVu Sans", "Helvetica"], "NanumGothic", installed) == \
        ["Arial", "DejaVu Sans", "NanumGothic", "Helvetica"]
    assert fonts.fallback_list(["Arial"], "NanumGothic", installed) == ["Arial", "NanumGothic"]
    assert fonts.fallback_list(["NanumGothic", "DejaVu Sans"], "NanumGothic", installed) == \
        ["NanumGothic", "DejaVu Sans"]


def test_without_a_cjk_font_nothing_changes():
    with matplotlib.rc_context(), monkeypatched_cjk_font(None):
        before = list(matplotlib.rcParams["font.family"])
        assert plot.use_cjk_font() is None
        plot.new_figure(1, 1)
        assert matplotlib.rcParams["font.family"] == before


def test_a_font_installed_after_matplotlib_cached_its_list_is_found(monkeypatch):
    # matplotlib's cached font list predates the font: its file is registered from the system's folders.
    added = []
    monkeypatch.setattr(fonts.font_manager, "findSystemFonts",
                        lambda: ["/usr/share/fonts/truetype/nanum/NanumGothic.ttf", "/fonts/DejaVuSans.ttf",
                                 "C:/Windows/Fonts/malgun.ttf", "/fonts/NotoSansCJK-Regular.ttc"])
    monkeypatch.setattr(fonts.font_manager.fontManager, "addfont", added.append)
    monkeypatch.setattr(fonts, "_installed", lambda families: set())
    fonts._register_system_files.cache_clear()
    try:
        assert fonts.cjk_font() is None                 # (nothing was really added)
        assert fonts.cjk_font() is None                 # the folders are searched once per process
    finally:
        fonts._register_system_files.cache_clear()
    assert added == ["/usr/share/fonts/truetype/nanum/NanumGothic.ttf", "C:/Windows/Fonts/malgun.ttf",
                     "/fonts/NotoSansCJK-Regular.ttc"]


@needs_cjk_font
def test_bold_hangul_titles_log_no_weight_warning(caplog):
    # NanumGothic's bold face has weight 600: matplotlib would log "Failed to find font weight bold"
    # for every new bold size. (An unusual size: font look-ups are cached per size.)
    with matplotlib.rc_context(), caplog.at_level("WARNING", logger="matplotlib.font_manager"):
        fig = plot.new_figure(2, 1)
        fig.suptitle("굵은 제목", fontweight="bold", fontsize=13.37)
        FigureCanvasAgg(fig).draw()
    assert not [r for r in caplog.records if "font weight" in r.getMessage()]
