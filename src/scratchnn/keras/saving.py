"""``keras.saving``: ``load_model``, ``save_model`` and ``register_keras_serializable``."""
from ..saving import (custom_object_scope, get_registered_object, load_model,  # noqa: F401
                      register_serializable, save_model)

register_keras_serializable = register_serializable
