"""Fashion-MNIST as numpy arrays, read by the C++ library's IDX reader (every header field and
size validated; a bad file is a ``rectify.FormatError`` naming the file and what was wrong)."""

from collections import namedtuple

from ._rectify import _load_split

#: One split: ``images`` (uint8, (count, rows, cols), 0 is the background), ``labels`` (uint8,
#: (count,), each below 10) and ``source`` (the directory, or the embedded sample).
Split = namedtuple("Split", ["images", "labels", "source"])

#: Fashion-MNIST's classes, indexed by label.
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle boot")


def fashion_mnist(split, path=None):
    """Loads ``split`` ("train", or "test" / "t10k") of Fashion-MNIST as numpy arrays.

    With ``path``: the IDX files in that directory (``<split>-images-idx3-ubyte[.gz]`` and
    ``<split>-labels-idx1-ubyte[.gz]``). Without: Debian's ``dataset-fashion-mnist``
    (/usr/share/datasets/fashion-mnist) when installed, else the 2000/500-image sample compiled
    into the library, as ``rectify train`` does. Returns a ``Split(images, labels, source)``;
    the arrays own their memory (no copy is made of what the reader produced).
    """
    if path is not None:
        path = str(path)
    return Split(*_load_split(split, path))
