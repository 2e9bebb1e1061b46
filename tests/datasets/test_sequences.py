"""The generated sequence tasks (``scratchnn/datasets/sequences.py``): each target recomputed
here independently from the decoded input, seeding, shapes and dtypes, the vocabulary, and
argument errors.
"""
import datetime

import numpy as np
import pytest

import scratchnn.datasets as ds
from scratchnn.datasets import sequences
from scratchnn.utils import set_random_seed

TASKS = {
    "sort_digits": lambda rs: sequences.sort_digits(200, length=6, random_state=rs),
    "add_numbers": lambda rs: sequences.add_numbers(200, digits=4, random_state=rs),
    "read_dates": lambda rs: sequences.read_dates(200, random_state=rs),
}


@pytest.mark.parametrize("name", list(TASKS))
def test_seeded_tasks_repeat_and_differ_across_seeds(name, restore_global_rng):
    a, b, c = TASKS[name](7), TASKS[name](7), TASKS[name](8)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)
    np.testing.assert_array_equal(TASKS[name](np.random.default_rng(7)).x, a.x)  # a Generator works too
    set_random_seed(3)
    d = TASKS[name](None)
    set_random_seed(3)
    np.testing.assert_array_equal(TASKS[name](None).x, d.x)   # None: the global, reseedable generator


@pytest.mark.parametrize("name", list(TASKS))
def test_ids_are_int64_inside_the_vocabulary(name):
    x, y, vocabulary = TASKS[name](0)
    for ids in (x, y):
        assert ids.dtype == np.int64 and ids.ndim == 2 and len(ids) == 200
        assert ids.min() >= 0 and ids.max() < len(vocabulary)
    assert isinstance(vocabulary, tuple) and len(set(vocabulary)) == len(vocabulary)


def test_sort_digits_targets_are_the_sorted_inputs():
    task = sequences.sort_digits(300, length=9, random_state=1)
    assert task.x.shape == task.y.shape == (300, 9)
    assert task.vocabulary == tuple("0123456789")
    for source, target in zip(task.decode(task.x), task.decode(task.y)):
        assert target == "".join(sorted(source))
    assert len(np.unique(task.x)) == 10       # every digit occurs


@pytest.mark.parametrize("reverse", [False, True])
def test_add_numbers_targets_are_the_sums(reverse):
    task = sequences.add_numbers(300, digits=3, reverse=reverse, random_state=2)
    assert task.x.shape == (300, 7) and task.y.shape == (300, 4)
    assert task.vocabulary[10] == "+" and task.vocabulary_size == 11
    for source, target in zip(task.decode(task.x), task.decode(task.y)):
        a, plus, b = source[:3], source[3], source[4:]
        assert plus == "+" and a.isdigit() and b.isdigit()
        written = target[::-1] if reverse else target
        assert written == f"{int(a) + int(b):04d}"
    sums = np.array([int(t[::-1] if reverse else t) for t in task.decode(task.y)])
    assert sums.max() > 999        # carries into the extra digit happen


def test_add_numbers_at_the_int64_limit():
    task = sequences.add_numbers(50, digits=18, random_state=0)
    for source, target in zip(task.decode(task.x), task.decode(task.y)):
        assert int(target) == int(source[:18]) + int(source[19:])


def _independent_writings(date):
    """Every way sequences.read_dates may write ``date``, written here with ``datetime``."""
    month = date.strftime("%B").lower()
    weekday = date.strftime("%A").lower()
    d, y = date.day, date.year
    return {f"{month} {d}, {y}", f"{d} {month} {y}", f"{month[:3]} {d}, {y}", f"{d} {month[:3]} {y}",
            f"{weekday}, {month} {d}, {y}", f"{d:02d}.{date.month:02d}.{y}"}


def test_read_dates_targets_are_the_iso_dates_of_the_inputs():
    task = sequences.read_dates(500, random_state=3)
    assert task.x.shape == (500, 29) and task.y.shape == (500, 10)
    assert task.vocabulary[0] == "" and task.vocabulary == sequences.DATE_VOCABULARY
    for row, source, target in zip(task.x, task.decode(task.x), task.decode(task.y)):
        date = datetime.date.fromisoformat(target)
        assert datetime.date(1900, 1, 1) <= date <= datetime.date(2099, 12, 31)
        assert source in _independent_writings(date), (source, target)
        assert (row[len(source):] == 0).all() and (row[:len(source)] != 0).all()   # right-padded with 0
    weekdays = [datetime.date.fromisoformat(t).weekday() for t in task.decode(task.y)]
    assert len(set(weekdays)) == 7          # the weekday format is checked on every day of the week


def test_read_dates_uses_every_format_and_the_example_of_the_brief():
    task = sequences.read_dates(600, random_state=4)
    texts = task.decode(task.x)
    assert any("," in t and t.split()[0].rstrip(",") in sequences.WEEKDAYS for t in texts)
    assert any(t.count(".") == 2 for t in texts)
    assert any(len(t.split()[1]) == 3 and "," not in t and not t[0].isalpha() for t in texts)
    example = sequences.read_dates(1, formats="month day, year", start="1994-09-27", end="1994-09-27",
                                   random_state=0)
    assert example.decode(example.x[0]) == "september 27, 1994"
    assert example.decode(example.y[0]) == "1994-09-27"
    assert example.x.shape == (1, len("september 27, 1994"))   # padded to its formats' longest text only


def test_read_dates_range_and_formats_arguments():
    task = sequences.read_dates(200, formats=["dd.mm.yyyy"], start=datetime.date(2000, 2, 28),
                                end=np.datetime64("2000-03-01"), random_state=5)
    assert task.x.shape == (200, 10)
    assert set(task.decode(task.y)) == {"2000-02-28", "2000-02-29", "2000-03-01"}   # inclusive, leap day
    assert set(task.decode(task.x)) == {"28.02.2000", "29.02.2000", "01.03.2000"}


def test_encode_decode_round_trip_and_errors():
    task = sequences.read_dates(5, random_state=0)
    ids = task.encode("june 1, 2001")
    assert ids.dtype == np.int64 and task.decode(ids) == "june 1, 2001"
    with pytest.raises(ValueError, match=r"read_dates.encode: \['!', 'Q'\] not in the vocabulary"):
        task.encode("Q!")
    with pytest.raises(ValueError, match=r"ids in \[0, 37\)"):
        task.decode(np.array([0, 37]))
    x, y, vocabulary = task
    assert x is task.x and y is task.y and vocabulary is task.vocabulary
    assert "5 samples, inputs of length 29, targets of length 10, 37 tokens" in repr(task)


@pytest.mark.parametrize("call, message", [
    (lambda: sequences.sort_digits(0), r"sort_digits: n_samples must be an integer >= 1, got 0"),
    (lambda: sequences.sort_digits(5, length=2.0), r"sort_digits: length must be an integer >= 1, got 2.0"),
    (lambda: sequences.add_numbers(5, digits=19),
     r"add_numbers: digits must be an integer in \[1, 18\], got 19"),
    (lambda: sequences.add_numbers(5, random_state=-1), r"random_state must be None, a non-negative int"),
    (lambda: sequences.read_dates(5, formats=["iso"]), r"formats must be a non-empty list of names from"),
    (lambda: sequences.read_dates(5, formats=[]), r"formats must be a non-empty list"),
    (lambda: sequences.read_dates(5, start="2000-13-01"), r"start must be a date \('YYYY-MM-DD'"),
    (lambda: sequences.read_dates(5, start="2001-01-01", end="2000-01-01"),
     r"expected 1000-01-01 <= start <= end <= 9999-12-31, got start=2001-01-01 and end=2000-01-01"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_reachable_from_the_datasets_package():
    assert ds.sequences is sequences and "sequences" in ds.__all__
