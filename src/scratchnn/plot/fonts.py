"""Fonts: figures that can write Hangul (and Chinese and Japanese) as well as Latin letters.

matplotlib writes text with DejaVu Sans, which has no Hangul: a Korean title comes out as a row
of empty boxes (and a warning "Glyph ... missing from font(s) DejaVu Sans"). Since matplotlib 3.6
a text takes each character from the first family of its ``font.family`` list whose font has it
(per-glyph fallback). So ``use_cjk_font()``, which every figure of ``scratchnn.plot`` and
``scratchnn.lab`` calls through ``new_figure``, looks for an installed font with Hangul and puts
it in that list right *after* the default::

    font.family: sans-serif, NanumGothic          (sans-serif is DejaVu Sans)

Latin letters, digits and symbols keep coming from DejaVu Sans (the figures look the same as
before); only the characters DejaVu Sans lacks come from the CJK font. Nothing changes when no
such font is installed. Call ``use_cjk_font()`` yourself to give your own matplotlib figures
(``pyplot`` included) the same fallback; it applies to the texts created after the call.

Getting a font (see the README, "Korean / CJK labels"): on Debian, Ubuntu or Colab
``apt-get install fonts-nanum`` (or ``fonts-noto-cjk``); Windows has Malgun Gothic and macOS
AppleGothic / Apple SD Gothic Neo already. matplotlib keeps a cache of the fonts it found when it
first ran, so a font installed later is missing from it: ``cjk_font()`` then looks in the
system's font folders itself and registers the files it recognises
(``matplotlib.font_manager.fontManager.addfont``), so no cache needs deleting. A font file of
your own counts once you register it the same way.
"""
import functools
import logging
import os

import matplotlib
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

__all__ = ["CJK_FAMILIES", "cjk_font", "use_cjk_font", "fallback_list"]

#: Fonts with Hangul (and CJK ideographs), in the order they are preferred: Korean designs first.
CJK_FAMILIES = ("NanumGothic", "NanumBarunGothic", "Noto Sans CJK KR", "Noto Sans KR", "Source Han Sans KR",
                "Source Han Sans K", "Malgun Gothic", "Apple SD Gothic Neo", "AppleGothic", "UnDotum",
                "Baekmuk Gulim", "Noto Sans CJK JP", "Noto Sans CJK SC", "Noto Sans CJK TC",
                "Source Han Sans", "WenQuanYi Zen Hei", "Droid Sans Fallback")

#: Pieces of the file names of those fonts (lower case, without spaces, dashes or underscores): the
#: files registered when matplotlib's font cache predates them.
_FILE_HINTS = ("nanumgothic", "nanumbarungothic", "notosanscjk", "notosanskr", "sourcehansans", "malgun",
               "applegothic", "applesdgothic", "undotum", "gulim", "wqyzenhei", "droidsansfallback")

_HANGUL = (0xAC00, 0xD55C, 0xD7A3)        # 가, 한, 힣: the first, a common and the last syllable


def _installed(families):
    """The names of ``families`` that matplotlib's font manager knows, as a set."""
    known = {entry.name for entry in font_manager.fontManager.ttflist}
    return {name for name in families if name in known}


@functools.lru_cache(maxsize=None)
def _has_hangul(family):
    """True when the file matplotlib picks for ``family`` maps the Hangul syllables."""
    try:
        path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        charmap = FT2Font(path).get_charmap()
    except (ValueError, RuntimeError, OSError):
        return False
    return all(code in charmap for code in _HANGUL)


@functools.lru_cache(maxsize=1)
def _register_system_files():
    """Register with matplotlib the CJK font files of the system's font folders (fonts installed
    after matplotlib cached its list of fonts are not in that list). Once per process."""
    for path in font_manager.findSystemFonts():
        stem = os.path.basename(path).lower()
        for separator in " -_":
            stem = stem.replace(separator, "")
        if any(hint in stem for hint in _FILE_HINTS):
            try:
                font_manager.fontManager.addfont(path)
            except (RuntimeError, OSError, ValueError):     # an unreadable or unusual file: skip it
                continue


def cjk_font():
    """The family name of an installed font with Hangul (the first of ``CJK_FAMILIES`` that
    matplotlib knows), or None. The system's font folders are searched too, once per process,
    for fonts installed after matplotlib cached its font list; a font file you register with
    ``matplotlib.font_manager.fontManager.addfont(path)`` counts from then on."""
    for search_folders in (False, True):
        if search_folders:
            _register_system_files()
        found = _installed(CJK_FAMILIES)
        for name in CJK_FAMILIES:
            if name in found and _has_hangul(name):
                return name
    return None


class _QuietBoldFallback(logging.Filter):
    """Drops matplotlib's "Failed to find font weight bold for <the CJK font>, now using 600" (CJK
    fonts such as NanumGothic register their bold face as weight 600: the bold titles use it)."""

    def __init__(self, family):
        super().__init__()
        self.family = family

    def filter(self, record):
        message = record.getMessage()
        return not (message.startswith("findfont: Failed to find font weight") and self.family in message)


def _quiet_bold_fallback(family):
    logger = logging.getLogger("matplotlib.font_manager")
    if not any(isinstance(f, _QuietBoldFallback) and f.family == family for f in logger.filters):
        logger.addFilter(_QuietBoldFallback(family))


def _resolves(family):
    """True when matplotlib finds a font for ``family`` (a name, or a generic one such as
    ``'sans-serif'``) without falling back to its default."""
    try:
        font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    except ValueError:
        return False
    return True


def fallback_list(families, cjk, installed):
    """``families`` (a ``font.family`` list) with ``cjk`` inserted right after the first family in
    ``installed`` (the one matplotlib writes Latin text with), or at the end when none is installed;
    unchanged when ``cjk`` is already in it."""
    families = list(families)
    if cjk in families:
        return families
    first = next((i for i, name in enumerate(families) if name in installed), len(families) - 1)
    return families[:first + 1] + [cjk] + families[first + 1:]


def use_cjk_font():
    """Put an installed CJK font (``cjk_font()``) in matplotlib's ``font.family`` list right after
    the default family, so that Hangul in the labels created from now on is drawn with it, and
    everything else as before.

    Returns the family name used, or None when no CJK font is installed (nothing changes then).
    Cheap to call again (every ``new_figure`` does: a ``matplotlib.rc_context`` may have put the
    list back)."""
    name = cjk_font()
    if name is not None:
        families = list(matplotlib.rcParams["font.family"])
        if name not in families:
            installed = {family for family in families if _resolves(family)}
            matplotlib.rcParams["font.family"] = fallback_list(families, name, installed)
            _quiet_bold_fallback(name)
    return name
