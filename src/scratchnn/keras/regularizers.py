"""``keras.regularizers``: the objects of ``scratchnn.regularizers``."""
from ..regularizers import *  # noqa: F401,F403
from ..regularizers import get  # noqa: F401
