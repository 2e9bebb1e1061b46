"""``keras.datasets``: ``mnist.load_data()``, ``fashion_mnist.load_data()``."""
from ..datasets import fashion_mnist, mnist  # noqa: F401
