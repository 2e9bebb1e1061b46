"""``keras.losses``: the objects of ``scratchnn.losses``."""
from ..losses import *  # noqa: F401,F403
from ..losses import get  # noqa: F401
