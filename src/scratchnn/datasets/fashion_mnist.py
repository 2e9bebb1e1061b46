"""Fashion-MNIST (Zalando Research; MIT), as ``keras.datasets.fashion_mnist``.

    from scratchnn.datasets import fashion_mnist
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()

60000 training and 10000 test images of 28x28 grey levels (uint8), labels 0..9 (uint8) naming
the classes in ``CLASS_NAMES``. Where the files come from, and how they are checked and cached,
is described in ``scratchnn.datasets``.
"""
from ._load import load_images_and_labels

CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def load_data(verbose=True):
    """``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes (60000, 28, 28), (60000,),
    (10000, 28, 28) and (10000,), fetched and cached on first use.

    ``verbose`` prints where files come from and shows download progress bars (on stderr).
    Raises ``DatasetUnavailableError`` (an ``OSError``; its ``summary`` says what to do, its
    message lists every source tried) when a file cannot be obtained, and
    ``NotARegularFileError`` (an ``OSError``) when a cached file is a FIFO or a device.
    """
    return load_images_and_labels("fashion_mnist", verbose=verbose)
