"""``keras.callbacks``: the objects of ``scratchnn.callbacks``."""
from ..callbacks import *  # noqa: F401,F403
from ..callbacks import get  # noqa: F401
