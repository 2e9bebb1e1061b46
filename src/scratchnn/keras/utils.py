"""``keras.utils``: ``to_categorical``, ``set_random_seed``, ``PyDataset`` and ``Sequence``."""
from ..preprocessing import PyDataset, Sequence  # noqa: F401
from ..utils import set_random_seed, to_categorical  # noqa: F401
