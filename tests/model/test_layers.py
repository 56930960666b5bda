"""Each fast kernel against its naive loop; each backward against numeric differences."""

import numpy as np
import pytest

from lenet_vis.model import layers
from lenet_vis.model.layers import (
    Conv2D,
    Dense,
    MaxPool2D,
    ReLU,
    ShapeError,
    Softmax,
    col2im,
    conv2d_naive,
    conv_input_grad,
    conv_output_size,
    matmul_serial,
    matmul_tn_serial,
    maxpool2d_naive,
    softmax_cross_entropy,
)

RNG = np.random.default_rng(1234)


def numeric_grad(f, x, eps=1e-6):
    """Central differences of scalar f() with respect to every element of x (in place)."""
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        hi = f()
        x[i] = old - eps
        lo = f()
        x[i] = old
        grad[i] = (hi - lo) / (2 * eps)
    return grad


def rel_error(a, b):
    """|a - b| / (|a| + |b|) over the whole array (norms), so tiny entries do not dominate."""
    return np.linalg.norm(a - b) / max(1e-12, np.linalg.norm(a) + np.linalg.norm(b))


def check_layer_grads(layer, x):
    """dL/dx and dL/dparams of L = sum(forward(x) * r) match central differences."""
    y, _ = layer.forward(x)
    r = RNG.standard_normal(y.shape)

    def loss():
        return float(np.sum(layer.forward(x)[0] * r))

    _, cache = layer.forward(x)
    dx, grads = layer.backward(r, cache)
    assert rel_error(dx, numeric_grad(loss, x)) < 1e-6
    for key, value in layer.params.items():
        assert grads.keys() == layer.params.keys()
        assert rel_error(grads[key], numeric_grad(loss, value)) < 1e-6


def float64_conv(c, f, k, stride=1):
    layer = Conv2D(c, f, k, stride)
    layer.params = {"W": RNG.standard_normal((f, c, k, k)), "b": RNG.standard_normal(f)}
    return layer


@pytest.mark.parametrize("stride", [1, 2])
def test_conv_matches_naive_loops(stride):
    layer = float64_conv(3, 4, 5, stride)
    x = RNG.standard_normal((2, 3, 13, 13))
    y, _ = layer.forward(x)
    assert np.allclose(y, conv2d_naive(x, layer.params["W"], layer.params["b"], stride))


def test_conv_float32_matches_naive_loops():
    layer = Conv2D(6, 16, 5)
    layer.params = {
        "W": RNG.standard_normal((16, 6, 5, 5)).astype(np.float32),
        "b": RNG.standard_normal(16).astype(np.float32),
    }
    x = RNG.random((3, 6, 14, 14)).astype(np.float32)
    y, _ = layer.forward(x)
    assert y.dtype == np.float32
    ref = conv2d_naive(x.astype(np.float64), layer.params["W"], layer.params["b"])
    assert np.allclose(y, ref, atol=1e-4)


@pytest.mark.parametrize("stride", [1, 2])
def test_conv_backward_matches_numeric_gradient(stride):
    check_layer_grads(float64_conv(2, 3, 3, stride), RNG.standard_normal((2, 2, 7, 7)))


@pytest.mark.parametrize(("c", "f", "size"), [(1, 6, 12), (6, 16, 14)])
def test_conv_input_grad_equals_col2im_of_the_column_gradient(c, f, size):
    dy = RNG.standard_normal((3, f, size - 4, size - 4))
    wmat = RNG.standard_normal((f, c * 25))
    x_shape = (3, c, size, size)
    ref = col2im(np.matmul(wmat.T, dy.reshape(3, f, -1)), x_shape, 5, 5, 1)
    assert np.allclose(conv_input_grad(dy, wmat, x_shape, 5), ref)


@pytest.mark.parametrize("layer", [Conv2D(6, 16, 5), MaxPool2D(2, 2)])
def test_a_batch_split_over_threads_gives_what_one_thread_gives(layer, monkeypatch):
    if "W" in layer.params:
        layer.params = {"W": RNG.standard_normal((16, 6, 5, 5)), "b": RNG.standard_normal(16)}
    x = RNG.standard_normal((70, 6, 14, 14))
    y, cache = layer.forward(x)
    dy = RNG.standard_normal(y.shape)
    dx, grads = layer.backward(dy, cache)
    monkeypatch.setattr(layers, "PARALLEL_ROWS", 10**9)  # one part, in this thread
    y1, cache1 = layer.forward(x)
    dx1, grads1 = layer.backward(dy, cache1)
    assert np.array_equal(y, y1) and np.array_equal(dx, dx1)
    for key in grads:
        assert np.allclose(grads[key], grads1[key], rtol=1e-12)


def test_dense_forward_and_backward():
    layer = Dense(7, 4)
    layer.params = {"W": RNG.standard_normal((4, 7)), "b": RNG.standard_normal(4)}
    x = RNG.standard_normal((5, 7))
    y, _ = layer.forward(x)
    naive = np.array(
        [
            [
                sum(layer.params["W"][o, i] * x[n, i] for i in range(7)) + layer.params["b"][o]
                for o in range(4)
            ]
            for n in range(5)
        ]
    )
    assert np.allclose(y, naive)
    check_layer_grads(layer, x)


@pytest.mark.parametrize("n", [1, 10, 203])
def test_products_split_under_the_blas_threading_size_equal_plain_products(n):
    a = RNG.standard_normal((n, 400)).astype(np.float32)
    b = RNG.standard_normal((400, 120)).astype(np.float32)
    assert np.allclose(matmul_serial(a, b), a @ b, atol=1e-4)
    assert np.allclose(matmul_serial(a, b.T.copy().T), a @ b, atol=1e-4)  # b a transposed view
    c = RNG.standard_normal((n, 120)).astype(np.float32)
    assert np.allclose(matmul_tn_serial(c, a), c.T @ a, atol=1e-3)
    a64 = a.astype(np.float64)
    assert np.array_equal(matmul_serial(a64, b.astype(np.float64)), a64 @ b.astype(np.float64))


def test_relu_forward_and_backward():
    x = RNG.standard_normal((3, 2, 4, 4))
    x[np.abs(x) < 1e-3] = 0.5  # keep clear of the kink for numeric differences
    y, _ = ReLU().forward(x)
    assert np.array_equal(y, np.where(x > 0, x, 0))
    check_layer_grads(ReLU(), x)


def test_maxpool_matches_naive_loops_and_records_winner():
    x = RNG.standard_normal((2, 3, 8, 8))
    y, arg = MaxPool2D(2, 2).forward_with_argmax(x)
    ny, narg = maxpool2d_naive(x, 2, 2)
    assert np.array_equal(y, ny)
    assert np.array_equal(arg, narg)


def test_maxpool_breaks_ties_on_the_first_cell_every_time():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = 1.0  # two winners in the top-left window
    for _ in range(3):
        _, arg = MaxPool2D(2, 2).forward_with_argmax(x)
        assert arg[0, 0, 0, 0] == 1  # (0, 1) comes before (1, 0) in row-major order
        assert arg[0, 0, 1, 1] == 0  # an all-zero window: its first cell
    dx, _ = MaxPool2D(2, 2).backward(np.ones((1, 1, 2, 2)), MaxPool2D(2, 2).forward(x)[1])
    assert dx[0, 0, 0, 1] == 1 and dx[0, 0, 1, 0] == 0


def test_maxpool_backward_matches_numeric_gradient():
    x = RNG.permutation(np.arange(2 * 2 * 6 * 6, dtype=np.float64)).reshape(2, 2, 6, 6) / 10
    check_layer_grads(MaxPool2D(2, 2), x)


def test_overlapping_maxpool_backward_matches_numeric_gradient():
    x = RNG.permutation(np.arange(2 * 2 * 5 * 5, dtype=np.float64)).reshape(2, 2, 5, 5) / 10
    check_layer_grads(MaxPool2D(3, 2), x)  # windows share cells: gradients add up


def test_softmax_rows_sum_to_one_and_backward_matches():
    x = RNG.standard_normal((4, 10)) * 5
    y, _ = Softmax().forward(x)
    assert np.allclose(y.sum(axis=1), 1)
    assert np.allclose(y, np.exp(x) / np.exp(x).sum(axis=1, keepdims=True))
    check_layer_grads(Softmax(), x)


def test_softmax_cross_entropy_value_and_gradient():
    logits = RNG.standard_normal((6, 10))
    labels = RNG.integers(0, 10, 6)
    loss, grad = softmax_cross_entropy(logits, labels)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert np.isclose(loss, -np.log(p[np.arange(6), labels]).mean())
    num = numeric_grad(lambda: softmax_cross_entropy(logits, labels)[0], logits)
    assert rel_error(grad, num) < 1e-6


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    loss, grad = softmax_cross_entropy(np.array([[1000.0, -1000.0]]), np.array([0]))
    assert np.isfinite(loss) and np.isfinite(grad).all() and loss == 0


@pytest.mark.parametrize(
    ("layer", "x", "message"),
    [
        (Conv2D(1, 6, 5), np.zeros((32, 32)), "4-D"),
        (Conv2D(1, 6, 5), np.zeros((1, 3, 32, 32)), "channels"),
        (Conv2D(1, 6, 5), np.zeros((1, 1, 4, 4)), "does not fit"),
        (MaxPool2D(2, 2), np.zeros((1, 1, 5, 5)), "does not fit"),
        (Dense(400, 120), np.zeros((2, 399)), "(400,)"),
    ],
)
def test_shapes_are_checked_with_clear_errors(layer, x, message):
    with pytest.raises(ShapeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        layer.forward(x)


def test_output_size_formula():
    assert conv_output_size(32, 5, 1) == 28
    assert conv_output_size(7, 3, 2, 1) == 4
    with pytest.raises(ShapeError):
        conv_output_size(8, 3, 2)
