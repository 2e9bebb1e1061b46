"""The learning-rate lesson (``scratchnn/lab/learning_rate.py``): parabola thresholds, three
learning rates on MNIST, the range test's suggestion.
"""
import math

import numpy as np
import pytest

from scratchnn.lab import learning_rate as lr_lab


# ---------------------------------------------------------------------------------- learning rate
def test_parabola_thresholds(results):
    result, _ = results("learning-rate")
    n = result.numbers
    final, steps = n["parabola_final_abs_x"], n["parabola_steps"]
    for lr in lr_lab.PARABOLA_LRS:
        assert final[f"{lr:g}"] == pytest.approx(abs(1 - 2 * lr) ** steps, rel=1e-9)
    assert final["0.01"] > 0.5                      # too small: barely moved
    assert final["0.1"] < 0.01 and final["0.9"] < 0.01
    assert final["1"] == 1.0                        # oscillates for ever
    assert final["1.1"] > 100                       # diverges: |x| grew from 1
    assert n["diverged_lr"] == 1.1 and final[f"{n['diverged_lr']:g}"] > 1.0
    assert "lr < 1 converges, lr = 1 oscillates" in result.report


def test_mnist_three_learning_rates(results):
    n = results("learning-rate")[0].numbers
    first, final, peak = n["mnist_first_loss"], n["mnist_final_loss"], n["mnist_peak_loss"]
    assert final["right"] < 0.5 * final["too small"]
    assert final["too small"] < first                 # it moves, slowly
    assert first - final["too small"] < 0.5 * (first - final["right"])
    # Too large: the loss explodes, then the network is dead and no better than guessing.
    assert peak["too large"] > 10 * first
    assert final["too large"] > 0.9 * math.log(10)
    assert n["mnist_dead_relu_fraction"]["too large"] > 0.5
    assert n["mnist_dead_relu_fraction"]["right"] < 0.5


def test_range_test_suggestion(results):
    n = results("learning-rate")[0].numbers
    assert 1e-3 < n["range_test_suggested_lr"] < 1.0
    assert n["range_test_suggested_lr"] <= n["range_test_lowest_loss_lr"] < 10.0
    assert n["range_test_batches"] < 120              # it stopped once the loss blew up


def test_suggest_learning_rate_finds_the_steepest_fall():
    rates = np.geomspace(1e-5, 10, 200)
    # Loss falls as a logistic curve of log10(lr), steepest at lr = 1e-2, then explodes past lr = 1.
    loss = 2.3 - 2.0 / (1 + np.exp(-3 * (np.log10(rates) + 2))) + np.where(rates > 1, 5 * (rates - 1), 0)
    suggested, lowest, smooth = lr_lab.suggest_learning_rate(rates, loss)
    # The moving average lags by about 1 / (1 - beta) = 10 steps (0.6 decade here).
    assert 1e-2 <= suggested < 10 ** -1.2
    assert 0.1 < lowest <= 1.5
    np.testing.assert_allclose(lr_lab.ema(np.full(7, 3.0)), 3.0, rtol=1e-12)    # bias-corrected
