"""``classification_report`` and ``confusion_matrix`` (``scratchnn/metrics/report.py``) against
scikit-learn.
"""
import numpy as np
import pytest

from scratchnn import metrics as M

from tests.metrics.scores.helpers import class_case, quiet, same

skm = pytest.importorskip("sklearn.metrics")


# ================================================================ report and confusion matrix
@pytest.mark.parametrize("seed", range(8))
def test_classification_report_matches_sklearn(seed):
    rng = np.random.default_rng(200 + seed)
    y_true, y_pred, w, c = class_case(rng, n=int(rng.integers(5, 80)))
    for labels in (None, np.arange(c), [0, 1], np.arange(c + 1)):          # [0, 1]: "micro avg" line
        for zd in (0, 1, np.nan):
            kw = dict(labels=labels, sample_weight=w, zero_division=zd)
            ours = M.classification_report(y_true, y_pred, output_dict=True, **kw)
            theirs = skm.classification_report(y_true, y_pred, output_dict=True, **kw)
            assert list(ours) == list(theirs)
            for key, value in theirs.items():
                if isinstance(value, dict):
                    for m in ("precision", "recall", "f1-score"):
                        same(ours[key][m], value[m], f"{key} {m} {kw}")
                    # (an int when unweighted; scikit-learn writes a float)
                    assert ours[key]["support"] == pytest.approx(value["support"], rel=1e-12)
                else:
                    same(ours[key], value, f"{key} {kw}")
            if w is None and zd == 0:        # the printed table, character for character
                assert (M.classification_report(y_true, y_pred, digits=3, **kw)
                        == skm.classification_report(y_true, y_pred, digits=3, **kw))
    names = [f"class {i}" for i in range(c)]
    assert (M.classification_report(y_true, y_pred, labels=np.arange(c), target_names=names, zero_division=0)
            == skm.classification_report(y_true, y_pred, labels=np.arange(c), target_names=names,
                                         zero_division=0))


def test_confusion_matrix_weights_and_labels_match_sklearn(rng):
    for seed in range(6):
        y_true, y_pred, w, c = class_case(np.random.default_rng(300 + seed))
        for labels in (None, np.arange(c + 1)[::-1], [0, 2]):
            for normalize in (None, "true", "pred", "all"):
                kw = dict(labels=labels, sample_weight=w, normalize=normalize)
                ours, theirs = quiet(M.confusion_matrix, y_true, y_pred, **kw), quiet(skm.confusion_matrix,
                                                                                      y_true, y_pred, **kw)
                np.testing.assert_allclose(ours, theirs, rtol=1e-12, err_msg=str(kw))
                assert ours.dtype.kind == theirs.dtype.kind
    with pytest.raises(ValueError, match="must occur in y_true"):
        M.confusion_matrix([0, 1], [1, 1], labels=[5])
    with pytest.raises(ValueError, match="sample_weight must have shape"):
        M.confusion_matrix([0, 1], [1, 1], sample_weight=[1.0])
