"""What the loader knows about each dataset (``scratchnn/datasets/_registry.py``): file sizes
from the known shapes, and https before http among the public locations.
"""
import gzip
from pathlib import Path

import pytest

from scratchnn.datasets import _registry, files

from tests.datasets.helpers import FILES, requires_mirror
from tests.helpers import dataset_mirror

#: The public locations as the registry gives them (the tests' fixtures remove them: no network).
PUBLIC_URLS = {name: info.urls for name, info in _registry.DATASETS.items()}


@pytest.mark.parametrize("name", sorted(_registry.DATASETS))
def test_public_locations_prefer_https(name):
    urls = PUBLIC_URLS[name]
    schemes = [url.split("://")[0] for url in urls]
    assert set(schemes) <= {"http", "https"} and schemes[0] == "https"
    assert schemes == sorted(schemes, key=lambda s: s != "https")  # every https before any http


def test_sizes_follow_the_shapes():
    mnist = _registry.DATASETS["mnist"]
    assert [mnist.size(f) for f in FILES] == [47040016, 60008, 7840016, 10008]
    assert _registry.DATASETS["fashion_mnist"].size(_registry.TRAIN_IMAGES) == 47040016
    unknown = _registry.DatasetInfo(name="x", folder="x", files={"a": "0" * 64})
    assert unknown.size("a") == _registry.UNKNOWN_SIZE_LIMIT


@requires_mirror
@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_real_files_fit_the_limits_exactly(name):
    """The mirror's files inflate to exactly the size the shapes give, and their gzip size is
    under the download limit (so the limits refuse nothing genuine)."""
    info = _registry.DATASETS[name]
    folder = Path(dataset_mirror(name)) / info.folder
    for f in FILES:
        gz = folder / f"{f}.gz"
        assert gz.stat().st_size <= files.gzip_bound(info.size(f))
        with gzip.open(gz, "rb") as stream:
            assert len(stream.read()) == info.size(f)
