"""``keras.initializers``: the objects of ``scratchnn.initializers``."""
from ..initializers import *  # noqa: F401,F403
from ..initializers import get  # noqa: F401
