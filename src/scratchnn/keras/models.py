"""``keras.models``: ``Sequential`` and ``Model``."""
from ..models import Model, Sequential  # noqa: F401
