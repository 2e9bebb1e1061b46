"""``keras.preprocessing.image``: ``load_img``, ``img_to_array``, ``array_to_img``, ``save_img``
(also in ``keras.utils``)."""
from ...preprocessing import array_to_img, img_to_array, load_img, save_img

__all__ = ["load_img", "img_to_array", "array_to_img", "save_img"]
