"""``keras.metrics``: the objects of ``scratchnn.metrics``."""
from ..metrics import *  # noqa: F401,F403
from ..metrics import get  # noqa: F401
