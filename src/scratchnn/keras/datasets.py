"""``keras.datasets``: ``mnist``, ``fashion_mnist``, ``cifar10``, ``imdb``, ``reuters`` and
``boston_housing``, each with ``load_data()`` (``imdb``/``reuters``: ``get_word_index()``)."""
from ..datasets import boston_housing, cifar10, fashion_mnist, imdb, mnist, reuters  # noqa: F401
