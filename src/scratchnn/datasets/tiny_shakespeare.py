"""Tiny Shakespeare: 1,115,394 characters of Shakespeare's plays, the standard data set of
character-level language models (Karpathy's char-rnn, nanoGPT). Shipped inside the package
(0.43 MB gzip), so it loads offline, with no download.

    from scratchnn.datasets import tiny_shakespeare
    text = tiny_shakespeare.load_data()                   # str, 1,115,394 characters
    train, val = tiny_shakespeare.train_validation_split(text)   # first 90% / last 10%

The text is ASCII, 65 distinct characters: newline, space, ``!$&',-.:;?``, the digit ``3`` and
the 52 letters.
``load_data`` checks the SHA-256 of the decompressed bytes before returning anything, and
decompresses at most ``LENGTH + 1`` bytes, so a damaged or swapped file is refused (a
``DatasetUnavailableError``, an ``OSError``, naming the file and both checksums) instead of
giving a model the wrong text, and a file that inflates to more than the known size is
stopped early.

Origin: ``data/tinyshakespeare/input.txt`` of the public repository karpathy/char-rnn (the same
file that nanoGPT's ``data/shakespeare_char/prepare.py`` downloads); the plays are in the
public domain. See ``scratchnn/datasets/data/README.md``.
"""
import gzip
import hashlib
import io
import numbers
import zlib
from importlib import resources

import numpy as np

from ._fetch import DatasetUnavailableError
from .files import gzip_bound, open_regular_file

NAME = "tiny_shakespeare"
FILENAME = "tiny_shakespeare.txt.gz"
#: Length of the text in characters (= bytes: it is ASCII).
LENGTH = 1_115_394
#: SHA-256 of the decompressed text (the bytes of char-rnn's ``input.txt``).
SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
#: nanoGPT trains on the first 90% of the characters and validates on the rest.
TRAIN_FRACTION = 0.9


def data_file():
    """The shipped gzip file (a ``Traversable``; a ``pathlib.Path`` in a normal installation)."""
    return resources.files(__package__).joinpath("data", FILENAME)


def _refuse(where, why):
    raise DatasetUnavailableError(
        f"tiny_shakespeare: {where} is not the expected text: {why}. The shipped copy should never "
        "fail this check: reinstall scratchnn (pip install --force-reinstall scratchnn).")


def load_data(path=None):
    """The whole text as a ``str`` of ``LENGTH`` (1,115,394) characters.

    ``path``: a gzip file to read instead of the shipped copy (a local mirror, a test); it is
    checked like the shipped one. The bytes are decompressed up to ``LENGTH + 1`` bytes only,
    then their SHA-256 must equal ``SHA256``; otherwise ``DatasetUnavailableError`` (an
    ``OSError``) says what was wrong (not gzip, too long, checksum mismatch) and nothing is
    returned.
    """
    source = data_file() if path is None else path
    where = f"the shipped file {source}" if path is None else f"the file {source}"
    try:
        if path is None:
            raw = source.read_bytes()
        else:   # a user's path: a FIFO or a link to /dev/zero is refused, not read forever
            with open_regular_file(path, "tiny_shakespeare file") as f:
                raw = f.read(gzip_bound(LENGTH) + 1)
    except OSError as exc:
        raise DatasetUnavailableError(f"tiny_shakespeare: cannot read {where} ({exc})") from None
    if len(raw) > gzip_bound(LENGTH):
        _refuse(where, f"the file is larger than a gzip copy of the text can be "
                       f"({gzip_bound(LENGTH):,} bytes)")
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
            data = stream.read(LENGTH + 1)   # bounded: never inflates more than one byte too many
    except (OSError, EOFError, zlib.error) as exc:
        _refuse(where, f"not a valid gzip file ({exc})")
    if len(data) > LENGTH:
        _refuse(where, f"it decompresses to more than the {LENGTH:,} bytes of the text")
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256:
        _refuse(where, f"checksum mismatch: the decompressed {len(data):,} bytes have SHA-256 {digest}, "
                       f"expected {SHA256}")
    return data.decode("ascii")


def train_validation_split(data, train_fraction=TRAIN_FRACTION):
    """``(train, validation)``: the first ``int(len(data) * train_fraction)`` items of ``data``
    and the rest, in order (no shuffling: a language model must not see the validation text
    in the middle of its training text). nanoGPT's split is the default (90% / 10%).

    ``data``: the text (``str``) or its encoding (a 1-D array of token ids): slices of the same
    kind are returned. For tiny Shakespeare: 1,003,854 training and 111,540 validation characters.
    """
    if isinstance(train_fraction, bool) or not isinstance(train_fraction, numbers.Real) \
            or not 0.0 < float(train_fraction) < 1.0:
        raise ValueError(f"train_validation_split: train_fraction must be a number in (0, 1), "
                         f"got {train_fraction!r}")
    if not isinstance(data, str):
        data = np.asarray(data)
        if data.ndim != 1:
            raise ValueError(f"train_validation_split: data must be a str or a 1-D array of token ids, "
                             f"got an array of shape {data.shape}")
    n = int(len(data) * float(train_fraction))
    return data[:n], data[n:]


__all__ = ["load_data", "train_validation_split", "data_file", "LENGTH", "SHA256", "TRAIN_FRACTION",
           "NAME", "FILENAME"]
