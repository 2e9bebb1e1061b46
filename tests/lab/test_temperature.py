"""The temperature lesson (``scratchnn/lab/temperature.py``): the entropy of the samples rises
with T, and T -> 0 sampling is greedy decoding.
"""
import numpy as np
import pytest

from scratchnn.lab.temperature import NEAR_ZERO, TEMPERATURES, character_entropy, entropy

from tests.lab.helpers import assert_saved, check_axes, legend_texts, plot_axes, suptitle


def test_entropy_of_certain_and_uniform_distributions():
    assert entropy([0.0, 1.0, 0.0]) == 0.0
    assert entropy(np.full(65, 1 / 65)) == pytest.approx(np.log(65))
    np.testing.assert_allclose(entropy([[0.5, 0.5], [1.0, 0.0]]), [np.log(2), 0.0])
    assert character_entropy([3, 3, 3], 5) == 0.0
    assert character_entropy([0, 1, 2, 3], 4) == pytest.approx(np.log(4))


def test_entropy_rises_with_temperature(results):
    result, folder = results("temperature")
    n = result.numbers
    assert_saved(result, folder)
    assert n["temperatures"] == list(TEMPERATURES) == [0.0, 0.5, 0.8, 1.0, 1.5]
    drawn, text = list(n["sampling_entropy"].values()), list(n["text_entropy"].values())
    assert drawn[0] == 0.0                                     # greedy: every draw is certain
    assert np.all(np.diff(drawn) > 0) and np.all(np.diff(text) > 0)
    assert n["entropy_rises"] is True
    assert text[-1] < n["uniform_entropy"]
    # The greedy text loops: far fewer distinct characters than Shakespeare's.
    assert text[0] < n["shakespeare_entropy"] - 0.5
    assert n["val_loss"] < 2.4                                 # the model learned something


def test_near_zero_temperature_is_greedy(results):
    result, _ = results("temperature")
    n = result.numbers
    assert n["near_zero"] == NEAR_ZERO == 1e-4
    assert n["near_zero_equals_greedy"] is True
    assert n["smallest_top2_gap"] > 0
    # The bound on the chance that any of the picks could differ from greedy is tiny, and is the formula's.
    picks = 4 * 120
    expected = np.log10(picks * 64) - np.logaddexp(0, n["smallest_top2_gap"] / 1e-4) / np.log(10)
    assert n["flip_probability_bound_log10"] == pytest.approx(expected) and expected < -6
    assert "gives exactly the greedy texts: True" in result.report
    for t in ("0", "0.5", "1", "1.5"):
        assert n["samples"][t].startswith("ROMEO:\nI will ") and n["samples"][t] in result.report
    assert len(set(n["samples"].values())) == len(TEMPERATURES)   # each temperature writes its own text


def test_temperature_figures(results):
    result, _ = results("temperature")
    n = result.numbers
    assert set(result.figures) == {"probabilities", "entropy"}
    panels = plot_axes(result.figures["probabilities"])
    assert [ax.get_title().split(":")[0] for ax in panels] == [f"T = {t:g}" for t in TEMPERATURES]
    assert "entropy 0.00 nats" in panels[0].get_title()
    heights = [np.array([p.get_height() for p in ax.patches]) for ax in panels]
    assert heights[0][0] == 1.0 and np.all(heights[0][1:] == 0)   # T = 0: all on the top character
    assert np.all(np.diff([h[0] for h in heights]) < 0)          # the top character loses mass as T rises
    fig = result.figures["entropy"]
    assert "entropy" in suptitle(fig)
    (ax,) = plot_axes(fig)
    check_axes(ax, legend=True)
    assert any("Shakespeare" in t for t in legend_texts(ax))
    drawn, text = ax.get_lines()[:2]
    np.testing.assert_allclose(drawn.get_ydata(), list(n["sampling_entropy"].values()))
    np.testing.assert_allclose(text.get_ydata(), list(n["text_entropy"].values()))
