"""Checkpoints written by ``rectify train --save``, as numpy arrays."""

from ._rectify import _load_checkpoint


def load_checkpoint(path, metadata=False):
    """Reads a rectify checkpoint (safetensors layout) into ``{name: numpy array}``.

    The file is checked exactly as ``rectify train --resume`` checks it, by the same C++ code:
    the header length against the file's size, the JSON header, dtypes, shapes and byte ranges,
    the run's options, and every tensor against the model and optimizer they build (a tensor
    missing, extra or of another shape is an error). A bad file raises
    ``rectify.CheckpointError`` (a ValueError) naming the file and what was wrong.

    The dict holds the model's parameters under PyTorch's names ("fc1.weight", ...) and the
    optimizer's state. ``metadata=True`` returns ``(tensors, metadata)``, the second the
    header's ``__metadata__`` strings (the run's options and where it stands).
    """
    tensors, meta = _load_checkpoint(str(path))
    return (tensors, meta) if metadata else tensors
