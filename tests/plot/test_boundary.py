"""``decision_boundary`` (``scratchnn/plot/boundary.py``): from a callable or a model, errors
marked, bad inputs.
"""
import numpy as np
import pytest

from scratchnn import plot


# ------------------------------------------------------------------ decision boundary
def xor_data(rng, n=80):
    x = rng.uniform(-1, 1, (n, 2))
    return x, ((x[:, 0] > 0) ^ (x[:, 1] > 0)).astype(int)


def test_decision_boundary_with_sigmoid_callable(rng):
    x, y = xor_data(rng)
    calls = []

    def model(points):
        calls.append(points.shape)
        return 1 / (1 + np.exp(10 * points[:, :1] * points[:, 1:]))        # (M, 1) probabilities

    fig = plot.decision_boundary(model, x, y, resolution=30, title="XOR")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "x1" and ax.get_ylabel() == "x2"
    regions = [c for c in ax.collections if c.get_gid() == "regions"][0].get_array().reshape(30, 30)
    assert set(np.unique(regions)) == {0, 1}
    # upper-right corner: x1 * x2 > 0 -> p < 0.5 -> class 0; upper-left -> class 1
    assert regions[-1, -1] == 0 and regions[-1, 0] == 1
    assert calls == [(30 * 30 + len(x), 2)]                      # one call: grid and points together
    assert "XOR: accuracy 100.0%" in fig._suptitle.get_text()


def test_decision_boundary_with_model_predict_and_errors_marked(rng):
    x, y = xor_data(rng, 40)

    class LinearModel:                                          # cannot solve XOR
        def __init__(self):
            self.verbose = None

        def predict(self, points, verbose="auto"):
            self.verbose = verbose
            logits = np.column_stack([points[:, 0], -points[:, 0]])
            return np.exp(logits) / np.exp(logits).sum(1, keepdims=True)

    model = LinearModel()
    fig = plot.decision_boundary(model, x, y, resolution=20, labels=["even", "odd"])
    assert model.verbose == 0
    ax = fig.axes[0]
    wrong = (x[:, 0] < 0).astype(int) != y
    ring = [c for c in ax.collections if c.get_label() == "misclassified"][0]
    np.testing.assert_allclose(ring.get_offsets(), x[wrong])
    assert f"{1 - wrong.mean():.1%}" in fig._suptitle.get_text()
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == ["even", "odd"]


def test_decision_boundary_rejects_bad_inputs(rng):
    x, y = xor_data(rng, 10)
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        plot.decision_boundary(lambda p: p[:, 0] > 0, np.zeros((10, 3)), y)
    with pytest.raises(ValueError, match="returned shape"):
        plot.decision_boundary(lambda p: np.zeros(5), x, y, resolution=10)
    with pytest.raises(TypeError, match="predict"):
        plot.decision_boundary("model", x, y)
    with pytest.raises(ValueError, match="resolution"):
        plot.decision_boundary(lambda p: p[:, 0] > 0, x, y, resolution=1)
