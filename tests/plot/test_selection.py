"""The figures of model selection (``scratchnn/plot/selection.py``): the grid heat map, ROC and PR
curves checked against scikit-learn.
"""
import numpy as np
import pytest

from scratchnn import model_selection as ms

from tests.model_selection.helpers import X_BC, Y_BC, build_binary

skm = pytest.importorskip("sklearn.metrics")


# ------------------------------------------------------------------ figures
def test_grid_heatmap_shows_mean_and_std_of_every_cell_and_frames_the_best():
    from scratchnn import plot
    search = ms.GridSearch(build_binary, {"units": [1, 4, 8], "learning_rate": [1e-3, 0.05]}, cv=2,
                           random_state=0, verbose=0, refit=False).fit(X_BC, Y_BC, epochs=1)
    fig = plot.grid_heatmap(search, "units", "learning_rate")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "units" and ax.get_ylabel() == "learning_rate"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "4", "8"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0.001", "0.05"]
    texts = {t.get_gid(): t.get_text() for t in ax.texts}
    for row in search.results_:
        i = [1e-3, 0.05].index(row["params"]["learning_rate"])
        j = [1, 4, 8].index(row["params"]["units"])
        assert texts[f"cell-{i}-{j}"] == f"{row['mean_test_score']:.4f}\n± {row['std_test_score']:.4f}"
    best = [p for p in ax.patches if p.get_gid() == "best-cell"]
    bp = search.best_params_
    assert len(best) == 1 and best[0].get_xy() == pytest.approx(
        ([1, 4, 8].index(bp["units"]) - 0.45, [1e-3, 0.05].index(bp["learning_rate"]) - 0.45))
    assert fig.axes[1].get_ylabel() == "mean accuracy (2-fold CV)"
    assert "mean accuracy over 2 folds" in fig._suptitle.get_text()
    with pytest.raises(ValueError, match="is not a hyper-parameter of the search"):
        plot.grid_heatmap(search, "units", "dropout")


def test_roc_and_pr_curves_match_sklearn(tmp_path):
    from scratchnn import plot
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    p = np.clip(0.5 * y + rng.normal(0.25, 0.25, 300), 0, 1).round(2)          # ties included
    fig = plot.roc_curve(y, p[:, None], path=tmp_path / "roc.png")
    ax = fig.axes[0]
    roc = [line for line in ax.get_lines() if line.get_gid() == "roc"][0]
    fpr, tpr, _ = skm.roc_curve(y, p)
    np.testing.assert_allclose(roc.get_xdata(), fpr)
    np.testing.assert_allclose(roc.get_ydata(), tpr)
    assert roc.get_label() == f"AUC = {skm.roc_auc_score(y, p):.3f}"
    assert ax.get_xlabel().startswith("false positive rate")
    assert ax.get_ylabel().startswith("true positive rate")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "chance (AUC = 0.5)" in legend
    dot = [line for line in ax.get_lines() if line.get_gid() == "threshold-0.5"][0]
    assert dot.get_xdata()[0] == pytest.approx(np.mean(p[y == 0] >= 0.5))
    assert (tmp_path / "roc.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    fig = plot.precision_recall_curve(y, p, path=tmp_path / "pr.png")
    ax = fig.axes[0]
    pr = [line for line in ax.get_lines() if line.get_gid() == "pr"][0]
    precision, recall, _ = skm.precision_recall_curve(y, p)
    np.testing.assert_allclose(pr.get_xdata(), recall)
    np.testing.assert_allclose(pr.get_ydata(), precision)
    assert pr.get_label() == f"AP = {skm.average_precision_score(y, p):.3f}"
    chance = [line for line in ax.get_lines() if line.get_gid() == "chance"][0]
    assert chance.get_ydata()[0] == pytest.approx(y.mean())
    assert ax.get_xlabel().startswith("recall") and ax.get_ylabel() == "precision"

    # three classes: one curve per class against the rest
    y3 = rng.integers(0, 3, 200)
    s3 = rng.random((200, 3)) + 0.6 * np.eye(3)[y3]
    s3 /= s3.sum(axis=1, keepdims=True)
    fig = plot.roc_curve(y3, s3, labels=["a", "b", "c"])
    labels = [line.get_label() for line in fig.axes[0].get_lines() if str(line.get_gid()).startswith("roc-")]
    assert labels == [f"{n} vs rest (AUC = {skm.roc_auc_score(y3 == k, s3[:, k]):.3f})"
                      for k, n in enumerate("abc")]
    assert f"{skm.roc_auc_score(y3, s3, multi_class='ovr'):.3f}" in fig._suptitle.get_text()
