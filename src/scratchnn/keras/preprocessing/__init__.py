"""``keras.preprocessing``: the older home of Keras's data helpers, kept by course notebooks
(``keras.preprocessing.sequence.pad_sequences``). The same functions are in ``keras.utils``."""
from . import sequence

__all__ = ["sequence"]
