"""The perceptron lesson (``scratchnn/lab/perceptron.py``): AND, OR, NAND but not XOR, an MLP
for XOR, the update rule, convergence, files and arguments.

The experiments run once for all the lab's tests (``conftest.py``). The tests assert the claims
the reports make, from ``result.numbers``, with the lesson's real thresholds.
"""
import json

import numpy as np
import pytest

from scratchnn.lab.perceptron import Perceptron, train_perceptron


# ------------------------------------------------------------------------------------- perceptron
def test_perceptron_learns_and_or_nand_but_not_xor(results):
    result, _ = results("perceptron")
    n = result.numbers
    for gate in ("and", "or", "nand"):
        assert n[f"{gate}_accuracy"] == 1.0
        assert 1 <= n[f"{gate}_epochs"] <= 30
    # XOR: some mistake in every epoch, and no line ever gets more than 3 of the 4 points right.
    assert n["xor_mistakes_last_epoch"] > 0
    assert n["xor_epochs_run"] == 30
    assert n["xor_best_accuracy"] == 0.75
    assert n["xor_accuracy"] < 1.0
    assert "no line separates XOR" in result.report


def test_mlp_solves_xor(results):
    n = results("perceptron")[0].numbers
    assert n["mlp_accuracy"] == 1.0
    assert 1 <= n["mlp_solved"] <= n["mlp_restarts"]
    assert n["mlp_final_loss"] < 0.05


def test_perceptron_files_written(results):
    result, folder = results("perceptron")
    names = {p.name for p in folder.iterdir()}
    assert names >= {"report.txt", "numbers.json", "perceptron.png", "mlp_xor.png"}
    assert (folder / "perceptron.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((folder / "numbers.json").read_text()) == json.loads(json.dumps(result.numbers))
    assert (folder / "report.txt").read_text() == result.report


def test_perceptron_rule_one_update():
    p = Perceptron(n_inputs=2, learning_rate=0.5)
    # w = 0, b = 0: step(0) = 0, so label 1 is a mistake: w += 0.5 * (1 - 0) * x, b += 0.5.
    assert p.update(np.array([1.0, 2.0]), 1) == 1.0
    np.testing.assert_array_equal(p.w, [0.5, 1.0])
    assert p.b == 0.5
    # Now w.x + b = 0.5 * 3 + 1 + 0.5 > 0: predicted 1, so label 0 is a mistake the other way.
    assert p.update(np.array([3.0, 1.0]), 0) == -1.0
    np.testing.assert_array_equal(p.w, [-1.0, 0.5])
    assert p.b == 0.0
    assert p.update(np.array([3.0, 1.0]), 0) == 0.0          # right now: nothing changes
    np.testing.assert_array_equal(p.w, [-1.0, 0.5])


def test_perceptron_converges_on_separable_data():
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, size=(60, 2))
    score = x @ np.array([1.5, -2.0]) + 0.3
    x, score = x[np.abs(score) > 0.2], score[np.abs(score) > 0.2]     # a margin: the theorem's condition
    y = (score > 0).astype(np.float64)
    p, mistakes, accuracy, _ = train_perceptron(x, y, 200, rng)
    assert mistakes[-1] == 0 and len(mistakes) < 200
    np.testing.assert_array_equal(p.predict(x), y)
    assert accuracy[-1] == 1.0


def test_perceptron_rejects_bad_arguments():
    with pytest.raises(ValueError, match="learning_rate"):
        Perceptron(learning_rate=0)
    with pytest.raises(ValueError, match="n_inputs"):
        Perceptron(n_inputs=0)
    p = Perceptron(n_inputs=2)
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        p.predict(np.ones((4, 3)))
    with pytest.raises(ValueError, match="y has 3"):
        p.train_epoch(np.ones((4, 2)), np.ones(3))
    np.testing.assert_array_equal(p.w, [0.0, 0.0])                # nothing changed
