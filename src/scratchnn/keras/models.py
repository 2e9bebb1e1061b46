"""``keras.models``: ``Sequential``, ``Model``, ``load_model`` and ``model_from_json``."""
from ..models import Model, Sequential, load_model, model_from_json  # noqa: F401
