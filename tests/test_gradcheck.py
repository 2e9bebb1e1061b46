"""``scratchnn.gradcheck`` (``scratchnn/gradcheck.py``): central differences accept a correct
``Function``, catch a wrong backward (naming the input), NaN gradients, non-contiguous inputs.
"""
import numpy as np
import pytest

import scratchnn
from scratchnn import Function, GradcheckError, gradcheck


# =============================================== gradcheck and custom Functions
class Square(Function):
    """out = x^2;  dx = 2 g x.  (The recipe: save what backward needs, return g * local derivative.)"""
    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, g):
        return 2.0 * g * self.x


class WrongSquare(Square):
    """A deliberate bug: forgets the factor 2 in the derivative of x^2."""
    def backward(self, g):
        return g * self.x


def test_gradcheck_accepts_a_correct_function(rng):
    """``gradcheck`` returns True for correct gradients (a user Function and built-in ops)."""
    assert gradcheck(lambda x: Square.apply(x), rng.standard_normal((3, 4))) is True
    assert gradcheck(lambda a, b: (a * b + a / b).sum(axis=0),
                     rng.standard_normal((2, 3)), rng.uniform(0.5, 2.0, 3)) is True
    # float32 input: checked in float64
    assert gradcheck(lambda x: Square.apply(x), rng.standard_normal(4).astype(np.float32)) is True


def test_gradcheck_catches_a_wrong_backward():
    """A wrong ``backward`` makes ``gradcheck`` raise ``GradcheckError`` (an AssertionError) whose
    message gives the element, the analytic and the numerical value."""
    x = np.zeros((3, 4))
    x[1, 2] = 1.5                      # the only element where g*x and 2*g*x differ
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda t: WrongSquare.apply(t), x)
    msg = str(info.value)
    assert "analytic" in msg and "numerical" in msg, msg
    assert "(1, 2)" in msg, msg
    assert isinstance(info.value, AssertionError)
    assert issubclass(scratchnn.GradcheckError, AssertionError)


def test_gradcheck_names_the_wrong_input():
    """With several inputs, the error names the input whose gradient is wrong."""
    class WrongMulB(Function):
        def forward(self, a, b):
            self.a, self.b = a, b
            return a * b

        def backward(self, g):
            return g * self.b, -g * self.a          # the sign of db is wrong

    with pytest.raises(GradcheckError, match="input 1"):
        gradcheck(lambda a, b: WrongMulB.apply(a, b), np.array([1.0, 2.0]), np.array([3.0, 4.0]))


@pytest.mark.parametrize("wrong_input", [0, 1])
def test_gradcheck_catches_nan_gradient_in_any_input(wrong_input):
    """A NaN analytic gradient is a failure, whichever input it belongs to."""
    class NanGrad(Function):
        def forward(self, a, b):
            self.a, self.b = a, b
            return a * b

        def backward(self, g):
            ga, gb = g * self.b, g * self.a
            if wrong_input == 0:
                ga = ga * np.nan
            else:
                gb = gb * np.nan
            return ga, gb

    with pytest.raises(GradcheckError, match=f"input {wrong_input}"):
        gradcheck(lambda a, b: NanGrad.apply(a, b), np.array([1.0, 2.0]), np.array([3.0, 4.0]))


def test_gradcheck_on_non_contiguous_input(rng):
    """``gradcheck`` works on any float array, including a transposed (Fortran-ordered) view."""
    x = rng.standard_normal((3, 4)).T
    assert not x.flags.c_contiguous
    assert gradcheck(lambda t: (t * t).sum(), x) is True
