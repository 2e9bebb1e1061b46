"""Argument validation shared by optimizers and schedules."""
import math
import numbers


def check_number(name, value, low=None, high=None, low_open=False, high_open=False, expected=None):
    """Return ``value`` as a float, or raise ValueError naming the argument and the valid range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"`{name}` must be a real number, got {value!r} ({type(value).__name__}).")
    value = float(value)
    bad = not math.isfinite(value)
    if low is not None:
        bad = bad or value < low or (low_open and value == low)
    if high is not None:
        bad = bad or value > high or (high_open and value == high)
    if bad:
        if expected is None:
            lo = "-inf" if low is None else f"{low:g}"
            hi = "inf" if high is None else f"{high:g}"
            expected = f"a finite number in {'(' if low_open else '['}{lo}, {hi}{')' if high_open else ']'}"
        raise ValueError(f"`{name}` must be {expected}, got {value!r}.")
    return value


def check_beta(name, value):
    """A moment's decay rate: a number in [0, 1)."""
    return check_number(name, value, 0.0, 1.0, high_open=True)
