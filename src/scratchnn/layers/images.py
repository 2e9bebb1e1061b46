"""Argument checks shared by the image layers (convolution, pooling, resizing): channels last
only, and Keras's 'valid'/'same' padding."""


def check_padding(value, who):
    padding = str(value).lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"{who}: padding must be 'valid' or 'same', got {value!r}")
    return padding


def check_channels_last(data_format, who):
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{who}: only data_format='channels_last' (N, H, W, C) is supported, "
                         f"got {data_format!r}")
