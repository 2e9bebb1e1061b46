"""``keras.utils``: ``to_categorical``, ``set_random_seed``."""
from ..utils import set_random_seed, to_categorical  # noqa: F401
