"""``Variable``: a weight of a layer (a Tensor with a name, a ``trainable`` flag, a regularizer and a
constraint), with Keras's ``assign``, ``assign_add``, ``assign_sub`` and ``numpy()``."""
import numpy as np

from ..autograd import Tensor


class Variable(Tensor):
    """A weight of a layer: a Tensor with a name, a ``trainable`` flag, and an optional
    regularizer (a penalty added to the loss) and constraint (applied after each update)."""
    __slots__ = ("name", "trainable", "regularizer", "constraint")
    #: Whether a layer tracks it as a weight when it is set as an attribute (``self.w = v``): yes
    #: for this class (Keras 3's ``keras.Variable``); ``tf.Variable`` says no (see compat).
    tracked_by_layers = True

    def __init__(self, data, name, trainable=True, regularizer=None, constraint=None):
        super().__init__(data, requires_grad=trainable, dtype=np.asarray(data).dtype)
        self.name = name
        self.trainable = trainable
        self.regularizer = regularizer
        self.constraint = constraint

    def numpy(self):
        """A copy of the values, as Keras's: the weights change in place as training goes on, so a
        shared array would change with them (``history.append(w.numpy())`` would record the last
        values only). ``.data`` is the live array."""
        return self.data.copy()

    @property
    def value(self):
        """The values as a tensor of this variable (Keras 3's ``variable.value``)."""
        return self

    def assign(self, value):
        """Overwrite the values in place (optimizer state and references stay valid); returns the
        variable, as Keras's ``assign`` does."""
        value = np.asarray(getattr(value, "data", value))
        if value.shape != self.data.shape:
            raise ValueError(f"cannot assign a value of shape {value.shape} to weight "
                             f"'{self.name}' of shape {self.data.shape}")
        self.data[...] = value
        return self

    def assign_add(self, delta):
        """``v += delta`` in place (a manual update step: ``w.assign_add(-lr * grad)``)."""
        return self.assign(self.data + np.asarray(getattr(delta, "data", delta)))

    def assign_sub(self, delta):
        """``v -= delta`` in place (``w.assign_sub(lr * grad)``)."""
        return self.assign(self.data - np.asarray(getattr(delta, "data", delta)))

    def __repr__(self):
        return f"<Variable '{self.name}' shape={self.shape} dtype={self.dtype}>"
