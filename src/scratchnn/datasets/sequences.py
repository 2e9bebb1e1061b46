"""Generated sequence-to-sequence tasks for the attention and transformer lessons: small enough
to train on a CPU in minutes, hard enough that each output token must *look at* the right input
tokens.

    from scratchnn.datasets import sequences
    x, y, vocabulary = sequences.sort_digits(1000, length=8, random_state=0)
    task = sequences.read_dates(1000, random_state=0)      # or keep the whole result
    task.decode(task.x[0]), task.decode(task.y[0])          # 'september 27, 1994', '1994-09-27'

* ``sort_digits``: a row of random digits -> the same digits in ascending order;
* ``add_numbers``: ``"123+045"`` -> ``"0168"`` (fixed-width, zero-padded numbers);
* ``read_dates``: a date written as people write it (``"september 27, 1994"``,
  ``"27 sep 1994"``, ``"tuesday, september 27, 1994"``, ``"27.09.1994"`` ...) -> its ISO 8601
  form ``"1994-09-27"``.

Each returns a ``SequenceTask``: ``x`` int64 (n, input_length) and ``y`` int64 (n, target_length)
token ids, and ``vocabulary``, the tuple of tokens (one character each, or ``""`` for padding)
indexed by id, shared by inputs and targets; it unpacks as ``x, y, vocabulary``.
``decode(ids)`` turns ids back into text and ``encode(text)`` does the reverse.

``random_state`` is an int (a fresh ``numpy.random.default_rng(seed)``), a
``numpy.random.Generator`` (used and advanced) or None (scratchnn's global generator, which
``scratchnn.utils.set_random_seed`` reseeds): the same seed gives the same arrays.
"""
import datetime
import numbers
from dataclasses import dataclass

import numpy as np

from .. import random as _random

PAD = ""   #: the padding token (id 0 where a task pads: ``read_dates``); it decodes to nothing

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True, eq=False)
class SequenceTask:
    """One generated task. ``x``: int64 input ids (n, input_length); ``y``: int64 target ids
    (n, target_length); ``vocabulary``: the token of each id (a tuple of str). Unpacks as
    ``x, y, vocabulary = task``."""
    name: str
    x: np.ndarray
    y: np.ndarray
    vocabulary: tuple

    def __iter__(self):
        return iter((self.x, self.y, self.vocabulary))

    @property
    def vocabulary_size(self):
        return len(self.vocabulary)

    def decode(self, ids):
        """The text of a row of ids (a ``str``), or of each row of a 2-D array (a list of ``str``);
        padding decodes to nothing."""
        ids = np.asarray(ids)
        if ids.ndim == 2:
            return [self.decode(row) for row in ids]
        if ids.ndim != 1 or ids.dtype.kind not in "iu" or (ids < 0).any() \
                or (ids >= len(self.vocabulary)).any():
            raise ValueError(f"{self.name}.decode: expected a 1-D or 2-D array of ids in "
                             f"[0, {len(self.vocabulary)}), got {ids!r}")
        return "".join(self.vocabulary[i] for i in ids.tolist())

    def encode(self, text):
        """The ids (int64, 1-D) of ``text``'s characters; a character outside the vocabulary
        raises a ``ValueError`` naming it. No padding is added."""
        index = {token: i for i, token in enumerate(self.vocabulary) if token}
        unknown = sorted(set(text) - set(index))
        if unknown:
            raise ValueError(f"{self.name}.encode: {unknown} not in the vocabulary {self.vocabulary}")
        return np.array([index[c] for c in text], dtype=np.int64)

    def __repr__(self):
        return (f"SequenceTask({self.name!r}: {len(self.x)} samples, inputs of length {self.x.shape[1]}, "
                f"targets of length {self.y.shape[1]}, {len(self.vocabulary)} tokens)")


# ----------------------------------------------------------------------------- argument checks

def _generator(random_state, who):
    if random_state is None:
        return _random.generator()   # looked up on each call: set_seed replaces it
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool) \
            and random_state >= 0:
        return np.random.default_rng(int(random_state))
    raise ValueError(f"{who}: random_state must be None, a non-negative int or a "
                     f"numpy.random.Generator, got {random_state!r}")


def _integer(who, name, value, minimum, maximum=None):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum \
            or (maximum is not None and value > maximum):
        bound = f"in [{minimum}, {maximum}]" if maximum is not None else f">= {minimum}"
        raise ValueError(f"{who}: {name} must be an integer {bound}, got {value!r}")
    return int(value)


def _digits(values, width):
    """The decimal digits of non-negative ints, most significant first, zero-padded: (n, width)."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values[:, None] // powers) % 10


# ----------------------------------------------------------------------------- tasks

DIGITS = tuple("0123456789")


def sort_digits(n_samples=1000, length=8, random_state=None):
    """Sort a row of digits: ``x`` (n, length) digits drawn uniformly from 0..9 (repeats
    allowed), ``y`` the same digits in ascending order. The vocabulary is ``"0".."9"`` (id =
    digit). Each output position must find, among all inputs, the one of the right rank: a
    job for attention, hard for a model that reads one position at a time."""
    who = "sort_digits"
    n = _integer(who, "n_samples", n_samples, 1)
    length = _integer(who, "length", length, 1)
    x = _generator(random_state, who).integers(0, 10, size=(n, length), dtype=np.int64)
    return SequenceTask("sort_digits", x, np.sort(x, axis=1), DIGITS)


def add_numbers(n_samples=1000, digits=3, reverse=False, random_state=None):
    """Add two numbers: ``a`` and ``b`` drawn uniformly from 0 .. 10**digits - 1.

    ``x`` (n, 2 * digits + 1): ``a``, ``+``, ``b``, each written with exactly ``digits`` digits
    (zero-padded: ``"123+045"``); ``y`` (n, digits + 1): ``a + b`` zero-padded to
    ``digits + 1`` digits (``"0168"``), or with its digits least significant first when
    ``reverse`` (``"8610"``: a left-to-right model then meets each carry before it needs it).
    Vocabulary ``"0".."9", "+"`` (id = digit, ``+`` = 10). ``digits`` is 1 to 18 (int64).
    """
    who = "add_numbers"
    n = _integer(who, "n_samples", n_samples, 1)
    width = _integer(who, "digits", digits, 1, 18)
    a, b = _generator(random_state, who).integers(0, 10 ** width, size=(2, n), dtype=np.int64)
    plus = np.full((n, 1), 10, dtype=np.int64)
    x = np.concatenate([_digits(a, width), plus, _digits(b, width)], axis=1)
    y = _digits(a + b, width + 1)
    return SequenceTask("add_numbers", x, y[:, ::-1].copy() if reverse else y, DIGITS + ("+",))


DATE_FORMATS = {   # name -> (weekday 0..6, month 1..12, day, year) -> text
    "month day, year": lambda w, m, d, y: f"{MONTHS[m - 1]} {d}, {y}",          # september 27, 1994
    "day month year": lambda w, m, d, y: f"{d} {MONTHS[m - 1]} {y}",            # 27 september 1994
    "mon day, year": lambda w, m, d, y: f"{MONTHS[m - 1][:3]} {d}, {y}",        # sep 27, 1994
    "day mon year": lambda w, m, d, y: f"{d} {MONTHS[m - 1][:3]} {y}",          # 27 sep 1994
    "weekday, month day, year":                                                 # tuesday, september 27, 1994
        lambda w, m, d, y: f"{WEEKDAYS[w]}, {MONTHS[m - 1]} {d}, {y}",
    "dd.mm.yyyy": lambda w, m, d, y: f"{d:02d}.{m:02d}.{y:04d}",                # 27.09.1994
}

#: The tokens of ``read_dates``: padding, then every character its texts can hold, sorted.
DATE_VOCABULARY = (PAD,) + tuple(sorted(set("".join(MONTHS + WEEKDAYS) + "0123456789 ,.-")))


def _as_date(who, name, value):
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    elif isinstance(value, np.datetime64):
        return value.astype("datetime64[D]").astype(datetime.date)
    elif isinstance(value, datetime.date):
        return value if type(value) is datetime.date else value.date()   # a datetime: its day
    raise ValueError(f"{who}: {name} must be a date ('YYYY-MM-DD', datetime.date or numpy.datetime64), "
                     f"got {value!r}")


def read_dates(n_samples=1000, formats=None, start="1900-01-01", end="2099-12-31", random_state=None):
    """Read a date written for people and write it as ISO 8601: ``"september 27, 1994"`` ->
    ``"1994-09-27"``.

    Dates are drawn uniformly among the days from ``start`` to ``end`` (inclusive; years 1000 to
    9999); each is written in one of ``formats`` (names of ``DATE_FORMATS``, default all of them),
    drawn uniformly, lower case, days without a leading zero except in ``"dd.mm.yyyy"``. ``x``
    (n, input_length): the characters of the text, right-padded with id 0 (``""``) to the
    longest text the formats can produce (29 with ``"weekday, month day, year"``); ``y``
    (n, 10): the characters of ``YYYY-MM-DD``. Vocabulary ``DATE_VOCABULARY`` (37 tokens).
    """
    who = "read_dates"
    n = _integer(who, "n_samples", n_samples, 1)
    if formats is None:
        formats = list(DATE_FORMATS)
    elif isinstance(formats, str):
        formats = [formats]
    formats = list(formats)
    unknown = [f for f in formats if f not in DATE_FORMATS]
    if not formats or unknown:
        raise ValueError(f"{who}: formats must be a non-empty list of names from {list(DATE_FORMATS)}, "
                         f"got {formats!r}")
    first, last = _as_date(who, "start", start), _as_date(who, "end", end)
    if not datetime.date(1000, 1, 1) <= first <= last <= datetime.date(9999, 12, 31):
        raise ValueError(f"{who}: expected 1000-01-01 <= start <= end <= 9999-12-31, got start={first} "
                         f"and end={last}")
    rng = _generator(random_state, who)
    span = (last - first).days + 1
    dates = np.datetime64(first, "D") + rng.integers(0, span, size=n)
    choice = rng.integers(0, len(formats), size=n)
    months_since_1970 = dates.astype("datetime64[M]").astype(np.int64)
    years = months_since_1970 // 12 + 1970
    months = months_since_1970 % 12 + 1
    days = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
    weekdays = (dates.astype(np.int64) + 3) % 7                    # 1970-01-01 was a Thursday (3)
    writers = [DATE_FORMATS[f] for f in formats]
    texts = [writers[c](w, m, d, y) for c, w, m, d, y in          # formatting text: one per sample
             zip(choice.tolist(), weekdays.tolist(), months.tolist(), days.tolist(), years.tolist())]
    width = max(len(write(2, 9, 28, 2000)) for write in writers)   # "wednesday", "september", 2 digits
    x = _encode_rows(texts, width)
    y = _encode_rows(np.datetime_as_string(dates, unit="D").tolist(), 10)
    return SequenceTask("read_dates", x, y, DATE_VOCABULARY)


def _encode_rows(texts, width):
    """ASCII texts of at most ``width`` characters -> (n, width) ids of ``DATE_VOCABULARY``,
    right-padded with 0 (the NUL byte maps to the padding id)."""
    lookup = np.zeros(256, dtype=np.int64)
    for i, token in enumerate(DATE_VOCABULARY[1:], start=1):
        lookup[ord(token)] = i
    raw = "".join(t.ljust(width, "\0") for t in texts).encode("ascii")
    return lookup[np.frombuffer(raw, dtype=np.uint8).reshape(len(texts), width)]


__all__ = ["SequenceTask", "sort_digits", "add_numbers", "read_dates", "DATE_FORMATS", "DATE_VOCABULARY",
           "MONTHS", "WEEKDAYS", "DIGITS", "PAD"]
