"""MNIST handwritten digits (LeCun, Cortes and Burges; CC BY-SA 3.0), as ``keras.datasets.mnist``.

    from scratchnn.datasets import mnist
    (x_train, y_train), (x_test, y_test) = mnist.load_data()

60000 training and 10000 test images of 28x28 grey levels (uint8, 0 = background), labels 0..9
(uint8). Where the files come from, and how they are checked and cached, is described in
``scratchnn.datasets``.
"""
from ._load import load_images_and_labels


def load_data(verbose=True):
    """``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes (60000, 28, 28), (60000,),
    (10000, 28, 28) and (10000,), fetched and cached on first use.

    ``verbose`` prints where files come from and shows download progress bars (on stderr).
    Raises ``DatasetUnavailableError`` (an ``OSError``; its ``summary`` says what to do, its
    message lists every source tried) when a file cannot be obtained, and
    ``NotARegularFileError`` (an ``OSError``) when a cached file is a FIFO or a device.
    """
    return load_images_and_labels("mnist", verbose=verbose)
