"""The attention lesson (``scratchnn/lab/attention.py``): a one-head transformer sorts held-out
rows of digits exactly, and its attention maps show each output looking at the input digit it
writes.
"""
import numpy as np
import pytest

from scratchnn.lab.attention import distinct_rows, model_inputs, sorting_data, where_outputs_look

from tests.lab.helpers import assert_saved, check_axes, plot_axes, suptitle


# ------------------------------------------------------------------------------------ the data
def test_rows_have_distinct_digits_and_the_test_rows_are_held_out():
    rng = np.random.default_rng(0)
    x, y = distinct_rows(300, 6, rng)
    assert x.shape == y.shape == (300, 6)
    assert all(len(set(row)) == 6 for row in x.tolist())
    np.testing.assert_array_equal(y, np.sort(x, axis=1))
    (x_train, _), (x_test, y_test) = sorting_data(2000, 500, 3, np.random.default_rng(1))   # 720 rows exist
    assert len(x_test) > 0 and not {r.tobytes() for r in x_test} & {r.tobytes() for r in x_train}
    np.testing.assert_array_equal(y_test, np.sort(x_test, axis=1))


def test_model_inputs_are_digits_separator_and_outputs_but_the_last():
    x, y = np.array([[8, 4, 0]]), np.array([[0, 4, 8]])
    np.testing.assert_array_equal(model_inputs(x, y, 10), [[8, 4, 0, 10, 0, 4]])


def test_where_outputs_look_reads_the_maps():
    # Two outputs of "2 0" -> "0 2": output 0 looks at position 1 (the 0), output 1 at position 0 (the 2).
    x, y = np.array([[2, 0]]), np.array([[0, 2]])
    scores = np.zeros((1, 4, 4))
    scores[0, 2] = [0.1, 0.7, 0.2, 0.0]          # the query at '=' writes 0
    scores[0, 3] = [0.5, 0.1, 0.1, 0.3]          # the query at the written 0 writes 2
    look = where_outputs_look(scores, x, y)
    np.testing.assert_array_equal(look["hit"], [[True, True]])
    assert look["own"] == pytest.approx((0.7 + 0.5) / 2)
    assert look["written"] == pytest.approx((0.0 + 0.1) / 2)       # the 0, when writing 2
    assert look["later"] == pytest.approx((0.1 + 0.0) / 2)         # the 2, when writing 0
    assert look["outside"] == pytest.approx((0.2 + 0.4) / 2)
    np.testing.assert_allclose(look["by_rank"], [[0.7, 0.1], [0.1, 0.5]])   # rank 1 is the 0 (position 1)
    scores[0, 3] = [0.1, 0.5, 0.1, 0.3]          # now output 1 looks at the 0: a miss
    assert where_outputs_look(scores, x, y)["hit"].tolist() == [[True, False]]


# ------------------------------------------------------------------------------------ the lesson
def test_sorts_held_out_rows_exactly(results):
    result, folder = results("attention")
    n = result.numbers
    assert_saved(result, folder)
    assert n["n_test"] >= 400 and n["length"] == 5
    assert n["test_exact_accuracy"] == 1.0                   # every held-out row, every digit
    assert n["test_token_accuracy"] == 1.0
    assert "100.0%" in result.report


def test_each_output_looks_at_the_digit_it_writes(results):
    result, _ = results("attention")
    n = result.numbers
    assert n["chance"] == pytest.approx(0.2)
    assert n["argmax_on_output_digit"] >= 0.9
    assert min(n["argmax_on_output_digit_by_position"]) >= 0.8
    # Most of the weight on the digit written, little on the digits already written.
    assert n["weight_own"] > 0.5 > n["weight_later"] > n["weight_written"]
    total = n["weight_own"] + n["weight_written"] + n["weight_later"] + n["weight_outside"]
    assert total == pytest.approx(1.0)
    # Averaged over the test rows: output k looks most at the input digit of rank k.
    assert min(n["rank_map_diagonal"]) > n["rank_map_off_diagonal_max"]
    assert f"{n['argmax_on_output_digit']:.1%}" in result.report


def test_attention_figures(results):
    result, _ = results("attention")
    assert set(result.figures) == {"attention_example_1", "attention_example_2", "attention_by_rank"}
    for fig in result.figures.values():
        assert suptitle(fig).strip()
        for ax in plot_axes(fig):
            check_axes(ax, legend=False)
    # An example: rows are the outputs ("reads → writes"), columns the tokens read; the future is
    # white (NaN) and each row's weights sum to 1.
    example = result.numbers["examples"][0]                    # e.g. "56108=01568"
    fig = result.figures["attention_example_1"]
    (ax,) = plot_axes(fig)
    digits, written = example.split("=")
    assert f"{digits} → {written}" in suptitle(fig)
    assert [t.get_text() for t in ax.get_xticklabels()] == list(example[:-1])
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows == [f"{r}→{w}" for r, w in zip("=" + written[:-1], written)]
    weights = np.ma.filled(ax.get_images()[0].get_array(), np.nan)
    length = len(digits)
    future = np.arange(2 * length)[None, :] > np.arange(length, 2 * length)[:, None]
    assert np.isnan(weights[future]).all() and not np.isnan(weights[~future]).any()
    np.testing.assert_allclose(np.nansum(weights, axis=1), 1.0, rtol=1e-5)
    # The first example is a row where the largest weight of each output on the inputs lands on the
    # digit it writes; the second, one where some output looks hardest elsewhere. The titles count them.
    looked = [digits[j] for j in weights[:, :length].argmax(axis=1)]
    hits = result.numbers["example_hits"]
    assert sum(a == b for a, b in zip(looked, written)) == hits[0] == length
    assert f"({length} of {length} outputs" in suptitle(fig)
    second = result.figures["attention_example_2"]
    (ax2,) = plot_axes(second)
    digits2, written2 = result.numbers["examples"][1].split("=")
    weights2 = np.ma.filled(ax2.get_images()[0].get_array(), np.nan)[:, :length]
    looked2 = [digits2[j] for j in weights2.argmax(axis=1)]
    assert sum(a == b for a, b in zip(looked2, written2)) == hits[1] < length
    assert f"({hits[1]} of {length} outputs" in suptitle(second)
    (ax,) = plot_axes(result.figures["attention_by_rank"])
    shown = np.asarray(ax.get_images()[0].get_array())
    np.testing.assert_allclose(np.diag(shown), result.numbers["rank_map_diagonal"], rtol=1e-6)
