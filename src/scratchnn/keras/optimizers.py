"""``keras.optimizers`` (with ``keras.optimizers.schedules``)."""
from ..optimizers import *  # noqa: F401,F403
from ..optimizers import get, schedules  # noqa: F401
