"""The data sets of the scikit-learn wrapper tests: breast cancer (split) and iris."""
import pytest

from scratchnn.datasets import load_breast_cancer, load_iris


@pytest.fixture(scope="module")
def cancer():
    """Breast cancer, a stratified 75/25 split: (x_train, x_test, y_train, y_test)."""
    from sklearn.model_selection import train_test_split  # the test modules skip without scikit-learn
    x, y = load_breast_cancer()
    return train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)


@pytest.fixture(scope="module")
def iris():
    x, y = load_iris()
    return x, y
