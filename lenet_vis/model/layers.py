"""Layers with forward and backward on batches, and a naive reference beside each fast kernel.

Every layer is stateless at run time: `forward(x)` returns `(y, cache)` and
`backward(dy, cache)` returns `(dx, grads)`, where `grads` has the same keys as `params`
("W", "b"). Nothing is stored on the layer during a pass, so one network can serve many
threads at once. Arrays keep the dtype they come in (float32 to serve, float64 to check).
"""

from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


class ShapeError(ValueError):
    """An array does not have the shape a layer needs."""


def _expect_ndim(x: np.ndarray, ndim: int, what: str) -> None:
    if x.ndim != ndim:
        raise ShapeError(f"{what} expects {ndim}-D input, got shape {x.shape}")


def conv_output_size(size: int, kernel: int, stride: int, padding: int = 0) -> int:
    """(W - F + 2P) / S + 1, or a ShapeError when the filter does not fit evenly."""
    span = size - kernel + 2 * padding
    if span < 0 or span % stride:
        raise ShapeError(
            f"a {kernel}-wide window with stride {stride} and padding {padding} "
            f"does not fit an input of {size}"
        )
    return span // stride + 1


# A batch of at least this many images is split over the cores (each part at least this big).
PARALLEL_ROWS = 32


@functools.cache
def _workers() -> ThreadPoolExecutor:
    """One pool for the process, a thread per usable core (NumPy drops the GIL in kernels)."""
    return ThreadPoolExecutor(len(os.sched_getaffinity(0)), thread_name_prefix="lenet-batch")


def over_batch(fn, n: int) -> list:
    """fn(rows) for contiguous slices of range(n), on the worker threads when n is large.

    fn must only read shared arrays and write its own rows; returns fn's results in order.
    """
    if n < 2 * PARALLEL_ROWS:
        return [fn(slice(0, n))]
    parts = min(len(os.sched_getaffinity(0)), n // PARALLEL_ROWS)
    slices = [slice(n * p // parts, n * (p + 1) // parts) for p in range(parts)]
    if parts == 1:
        return [fn(slices[0])]
    return list(_workers().map(fn, slices))


# OpenBLAS splits a product over its threads once M*N*K reaches 2 * 65536 * 4 (two threads'
# worth of its GEMM_MULTITHREAD_THRESHOLD); on a busy machine each split product then waits
# for a second core. Products kept under this size run in the calling thread.
BLAS_SERIAL_SIZE = 2 * 65536 * 4


def _serving(*arrays: np.ndarray) -> bool:
    """float32 (serving, training) is split; float64 (checking) keeps one plain product, so
    its rounding stays what the numeric-difference checks were tuned on."""
    return all(a.dtype == np.float32 for a in arrays)


def matmul_serial(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b as products each under BLAS_SERIAL_SIZE. a: (N, K), b: (K, M) -> (N, M)"""
    n, k = a.shape
    m = b.shape[1]
    rows = max(1, (BLAS_SERIAL_SIZE - 1) // (k * m))
    if n <= rows or not _serving(a, b):
        return a @ b
    a = np.ascontiguousarray(a)
    out = np.empty((n, m), np.result_type(a, b))
    whole = n - n % rows
    np.matmul(a[:whole].reshape(-1, rows, k), b, out=out[:whole].reshape(-1, rows, m))
    if whole < n:
        np.matmul(a[whole:], b, out=out[whole:])
    return out


def matmul_tn_serial(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a.T @ b summed over row blocks, each product under BLAS_SERIAL_SIZE.

    a: (N, K), b: (N, M) -> (K, M)
    """
    n, k = a.shape
    m = b.shape[1]
    rows = max(1, (BLAS_SERIAL_SIZE - 1) // (k * m))
    if n <= rows or not _serving(a, b):
        return a.T @ b
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    whole = n - n % rows
    blocks = np.matmul(
        a[:whole].reshape(-1, rows, k).transpose(0, 2, 1), b[:whole].reshape(-1, rows, m)
    )
    out = blocks.sum(axis=0)
    if whole < n:
        out += a[whole:].T @ b[whole:]
    return out


# ---------------------------------------------------------------------------- convolution


def im2col(x: np.ndarray, kh: int, kw: int, stride: int) -> np.ndarray:
    """Patches of x as columns.

    x: (N, C, H, W) -> (N, C*kh*kw, OH*OW), rows ordered (c, i, j) like a filter's weights.
    """
    x = np.ascontiguousarray(x)
    n, c, h, w = x.shape
    oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
    sn, sc, sh, sw = x.strides
    if stride == 1:
        # two copies with long inner runs instead of one with runs of OW: first every
        # column shift j of every row, (N, C, kw, H, OW); then each patch row i is one
        # contiguous block of OH*OW cells of that
        shifted = np.empty((n, c, kw, h, ow), x.dtype)
        shifted[...] = np.ndarray((n, c, kw, h, ow), x.dtype, x, 0, (sn, sc, sw, sh, sw))
        t = shifted.strides
        win = np.ndarray(
            (n, c, kh, kw, oh * ow), x.dtype, shifted, 0, (t[0], t[1], t[3], t[2], t[4])
        )
        return win.reshape(n, c * kh * kw, oh * ow)
    # a strided view on x's own buffer (np.ndarray is several times quicker than as_strided)
    win = np.ndarray(
        (n, c, kh, kw, oh, ow), x.dtype, x, 0, (sn, sc, sh, sw, sh * stride, sw * stride)
    )
    return win.reshape(n, c * kh * kw, oh * ow)


def col2im(cols: np.ndarray, x_shape: tuple, kh: int, kw: int, stride: int) -> np.ndarray:
    """Adjoint of im2col: sum each column back into the cells it was read from.

    cols: (N, C*kh*kw, OH*OW) -> (N, C, H, W)
    """
    n, c, h, w = x_shape
    oh = (h - kh) // stride + 1
    ow = (w - kw) // stride + 1
    cols = cols.reshape(n, c, kh, kw, oh, ow)
    dx = np.zeros(x_shape, dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            dx[:, :, i : i + stride * oh : stride, j : j + stride * ow : stride] += cols[:, :, i, j]
    return dx


def conv_input_grad(dy: np.ndarray, wmat: np.ndarray, x_shape: tuple, k: int) -> np.ndarray:
    """dL/dx of a stride-1 convolution: col2im(wmat.T @ dy) with long contiguous adds.

    dy: (N, F, OH, OW), wmat: (F, C*k*k), x_shape (N, C, H, W) -> (N, C, H, W)
    dy is widened to W columns (zeros beyond OW), so each of the k*k windows' contributions
    is one run of OH*W cells of an input plane, added at offset i*W + j; the zero columns
    land on cells of the next row or plane, where they add nothing.
    """
    n, c, h, w = x_shape
    f, oh, ow = dy.shape[1:]
    wide = np.zeros((n, f, oh, w), dy.dtype)
    wide[..., :ow] = dy
    dcols = np.matmul(wmat.T, wide.reshape(n, f, oh * w))  # (N, C*k*k, OH*W)
    dcols = dcols.reshape(n * c, k * k, oh * w)
    run = oh * w
    plane = h * w
    dx = np.zeros(n * c * plane + k, dy.dtype)  # k spare cells for the last plane's spill
    size = dx.itemsize
    for i in range(k):
        for j in range(k):
            target = np.ndarray(
                (n * c, run), dx.dtype, dx, (i * w + j) * size, (plane * size, size)
            )
            target += dcols[:, i * k + j]
    return dx[: n * c * plane].reshape(x_shape)


def conv2d_naive(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int = 1) -> np.ndarray:
    """Reference convolution (cross-correlation) by explicit loops.

    x: (N, C, H, W), w: (F, C, KH, KW), b: (F,) -> (N, F, OH, OW)
    """
    n, _, h, wd = x.shape
    f, _, kh, kw = w.shape
    oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
    out = np.zeros((n, f, oh, ow), dtype=np.result_type(x, w))
    for ni in range(n):
        for fi in range(f):
            for y in range(oh):
                for xx in range(ow):
                    patch = x[ni, :, y * stride : y * stride + kh, xx * stride : xx * stride + kw]
                    out[ni, fi, y, xx] = np.sum(patch * w[fi]) + b[fi]
    return out


class Conv2D:
    """Convolution of `filters` kernels (kh, kw) over every input channel, no padding.

    params: W (F, C, KH, KW), b (F,)
    """

    kind = "conv"

    def __init__(self, in_channels: int, filters: int, kernel: int, stride: int = 1) -> None:
        self.in_channels, self.filters, self.kernel, self.stride = (
            in_channels,
            filters,
            kernel,
            stride,
        )
        self.params = {
            "W": np.zeros((filters, in_channels, kernel, kernel), np.float32),
            "b": np.zeros(filters, np.float32),
        }

    def output_shape(self, in_shape: tuple) -> tuple:
        c, h, w = in_shape
        if c != self.in_channels:
            raise ShapeError(f"conv expects {self.in_channels} channels, got {c}")
        k, s = self.kernel, self.stride
        return (self.filters, conv_output_size(h, k, s), conv_output_size(w, k, s))

    def infer(self, x: np.ndarray) -> np.ndarray:
        """x: (N, C, H, W) -> y: (N, F, OH, OW), nothing kept for a backward pass."""
        return self._apply(x)[0]

    def bind_into(self, x: np.ndarray, out: np.ndarray, scratch: dict | None = None):
        """A call computing infer(x) into out, for one image held in fixed arrays (e.g. views
        into an outgoing buffer): everything but the arithmetic is prepared here, once.

        x: (1, C, H, W), out: (1, F, OH, OW) float32, C-contiguous -> fn() writing out.
        Stride 1: im2col's two copies into buffers made once, then the same product.
        scratch: a dict holding those buffers by shape, shared by calls that never run at the
        same time (e.g. every connection of one event loop); None: buffers of its own.
        """
        _expect_ndim(x, 4, "Conv2D")
        f, oh, ow = self.output_shape(x.shape[1:])
        if x.shape[0] != 1 or out.shape != (1, f, oh, ow) or self.stride != 1:
            raise ShapeError(f"bind_into takes one image, stride 1; got {x.shape} -> {out.shape}")
        c, h, _ = x.shape[1:]
        k = self.kernel
        wmat = self.params["W"].reshape(f, -1)
        bias = self.params["b"][:, None]
        y = out.reshape(f, oh * ow)  # a view: out is contiguous
        _, sc, sh, sw = x.strides
        scratch = {} if scratch is None else scratch
        key = ("conv", x.dtype.str, c, h, k, oh, ow)
        if key not in scratch:
            scratch[key] = (
                np.empty((c, k, h, ow), x.dtype),  # every column shift j of every row
                np.empty((c * k * k, oh * ow), x.dtype),  # the patches as columns
            )
        shifted, cols = scratch[key]
        by_shift = np.ndarray((c, k, h, ow), x.dtype, x, 0, (sc, sw, sh, sw))
        t = shifted.strides
        windows = np.ndarray((c, k, k, oh * ow), x.dtype, shifted, 0, (t[0], t[2], t[1], t[3]))
        cols_view = cols.reshape(c, k, k, oh * ow)

        def run() -> None:
            np.copyto(shifted, by_shift)
            np.copyto(cols_view, windows)
            np.matmul(wmat, cols, out=y)
            np.add(y, bias, out=y)

        return run

    def forward(self, x: np.ndarray):
        """x: (N, C, H, W) -> y: (N, F, OH, OW), and what backward needs"""
        y, cols = self._apply(x)
        return y, (x.shape, cols)

    def _apply(self, x: np.ndarray):
        _expect_ndim(x, 4, "Conv2D")
        n = x.shape[0]
        f, oh, ow = self.output_shape(x.shape[1:])
        k, dtype = self.kernel, x.dtype
        wmat = self.params["W"].reshape(f, -1).astype(dtype, copy=False)
        bias = self.params["b"].astype(dtype, copy=False)[:, None]
        if n < 2 * PARALLEL_ROWS:  # the direct path: no split, no closure
            cols = im2col(x, k, k, self.stride)
            y = np.matmul(wmat, cols)
            y += bias
            return y.reshape(n, f, oh, ow), cols
        cols = np.empty((n, wmat.shape[1], oh * ow), dtype)
        y = np.empty((n, f, oh * ow), dtype)

        def rows(part: slice) -> None:
            cols[part] = im2col(x[part], k, k, self.stride)
            np.matmul(wmat, cols[part], out=y[part])
            y[part] += bias

        over_batch(rows, n)
        return y.reshape(n, f, oh, ow), cols

    def backward(self, dy: np.ndarray, cache):
        """dy: (N, F, OH, OW) -> dx: (N, C, H, W), grads W and b"""
        x_shape, cols = cache
        n, f = dy.shape[:2]
        dy2 = dy.reshape(n, f, -1)
        wmat = self.params["W"].reshape(f, -1).astype(dy.dtype, copy=False)
        # sum over the batch of dy_n @ cols_n^T: one small product per image (under OpenBLAS's
        # threading size, and no transposed copy of cols), then a sum of N (F, C*k*k) blocks
        dx = np.empty(x_shape, dy.dtype) if self.stride == 1 else None

        def rows(part: slice) -> np.ndarray:
            if dx is not None:
                dx[part] = conv_input_grad(dy[part], wmat, dx[part].shape, self.kernel)
            return np.matmul(dy2[part], cols[part].transpose(0, 2, 1)).sum(axis=0)

        dw = sum(over_batch(rows, n))
        grads = {"W": dw.reshape(self.params["W"].shape), "b": dy2.sum(axis=(0, 2))}
        if dx is not None:
            return dx, grads
        dcols = np.matmul(wmat.T, dy2)
        dx = col2im(dcols, x_shape, self.kernel, self.kernel, self.stride)
        return dx, grads


# ---------------------------------------------------------------------------- activations


class ReLU:
    """max(0, x), elementwise, any shape."""

    kind = "relu"

    def __init__(self) -> None:
        self.params: dict = {}

    def output_shape(self, in_shape: tuple) -> tuple:
        return tuple(in_shape)

    def infer(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0)

    def bind_into(self, x: np.ndarray, out: np.ndarray, scratch: dict | None = None):
        """A call writing infer(x) into out (fixed arrays of one shape)."""
        return functools.partial(np.maximum, x, 0, out=out)

    def forward(self, x: np.ndarray):
        return np.maximum(x, 0), x > 0

    def backward(self, dy: np.ndarray, cache):
        return dy * cache, {}


class Softmax:
    """Softmax over the last axis. x: (N, D) -> (N, D), each row sums to 1."""

    kind = "softmax"

    def __init__(self) -> None:
        self.params: dict = {}

    def output_shape(self, in_shape: tuple) -> tuple:
        return tuple(in_shape)

    def infer(self, x: np.ndarray) -> np.ndarray:
        _expect_ndim(x, 2, "Softmax")
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def bind_into(self, x: np.ndarray, out: np.ndarray, scratch: dict | None = None):
        """A call writing infer(x) into out (N, D), the same operations in place."""
        _expect_ndim(x, 2, "Softmax")

        def run() -> None:
            np.subtract(x, x.max(axis=1, keepdims=True), out=out)
            np.exp(out, out=out)
            np.divide(out, out.sum(axis=1, keepdims=True), out=out)

        return run

    def forward(self, x: np.ndarray):
        y = self.infer(x)
        return y, y

    def backward(self, dy: np.ndarray, y):
        return y * (dy - np.sum(dy * y, axis=1, keepdims=True)), {}


# ---------------------------------------------------------------------------- pooling


def maxpool2d_naive(x: np.ndarray, size: int = 2, stride: int = 2):
    """Reference max pooling by loops; the first maximum in row-major window order wins.

    x: (N, C, H, W) -> y: (N, C, OH, OW), argmax: (N, C, OH, OW) flat index within the window
    """
    n, c, h, w = x.shape
    oh, ow = (h - size) // stride + 1, (w - size) // stride + 1
    y = np.zeros((n, c, oh, ow), dtype=x.dtype)
    arg = np.zeros((n, c, oh, ow), dtype=np.int64)
    for ni in range(n):
        for ci in range(c):
            for i in range(oh):
                for j in range(ow):
                    win = x[ni, ci, i * stride : i * stride + size, j * stride : j * stride + size]
                    k = int(np.argmax(win))
                    arg[ni, ci, i, j] = k
                    y[ni, ci, i, j] = win.flat[k]
    return y, arg


class MaxPool2D:
    """Max over size x size windows moved by stride; records the winner of each window.

    Ties go to the first cell in row-major order of the window, every time.
    """

    kind = "maxpool"

    def __init__(self, size: int = 2, stride: int = 2) -> None:
        self.kernel, self.stride = size, stride
        self.params: dict = {}

    def output_shape(self, in_shape: tuple) -> tuple:
        c, h, w = in_shape
        k, s = self.kernel, self.stride
        return (c, conv_output_size(h, k, s), conv_output_size(w, k, s))

    def windows(self, x: np.ndarray) -> np.ndarray:
        """x: (N, C, H, W) -> (N, C, OH, OW, k*k), each window flattened row-major."""
        _expect_ndim(x, 4, "MaxPool2D")
        self.output_shape(x.shape[1:])
        k, s = self.kernel, self.stride
        win = sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::s, ::s]
        return win.reshape(*win.shape[:4], k * k)

    def _views(self, x: np.ndarray):
        """The k*k strided views of x, one per cell of the window in row-major order.

        x: (N, C, H, W) -> k*k arrays (N, C, OH, OW); view (i*k + j) holds each window's (i, j)
        """
        _expect_ndim(x, 4, "MaxPool2D")
        _, oh, ow = self.output_shape(x.shape[1:])
        k, s = self.kernel, self.stride
        return [x[:, :, i : i + s * oh : s, j : j + s * ow : s] for i in range(k) for j in range(k)]

    def forward_with_argmax(self, x: np.ndarray):
        """x: (N, C, H, W) -> y: (N, C, OH, OW), argmax: (N, C, OH, OW) index in the window"""
        y, arg = self._max_and_winner(x)
        return y, arg.astype(np.intp)

    def _max_and_winner(self, x: np.ndarray):
        """As forward_with_argmax, the winner as uint8 where k*k <= 256 (a smaller cache)."""
        views = self._views(x)
        y = np.empty(views[0].shape, x.dtype)
        arg = np.zeros(y.shape, np.uint8 if len(views) <= 256 else np.intp)

        def rows(part: slice) -> None:
            out, win = y[part], arg[part]
            out[...] = views[0][part]
            for k, v in enumerate(views[1:], start=1):  # strictly greater: first maximum wins
                np.copyto(win, k, where=v[part] > out)
                np.maximum(out, v[part], out=out)

        over_batch(rows, x.shape[0])
        return y, arg

    def infer(self, x: np.ndarray) -> np.ndarray:
        """x: (N, C, H, W) -> y: (N, C, OH, OW), without recording the winners."""
        views = self._views(x)
        out = views[0].copy()
        for v in views[1:]:  # elementwise max of the k*k strided views: fast for small k
            np.maximum(out, v, out=out)
        return out

    def bind_into(self, x: np.ndarray, out: np.ndarray, scratch: dict | None = None):
        """A call writing infer(x) into out (N, C, OH, OW); x's k*k views made once."""
        first, *rest = self._views(x)

        def run() -> None:
            np.copyto(out, first)
            for v in rest:
                np.maximum(out, v, out=out)

        return run

    def forward(self, x: np.ndarray):
        y, arg = self._max_and_winner(x)
        return y, (x.shape, arg)

    def backward(self, dy: np.ndarray, cache):
        """dy: (N, C, OH, OW) -> dx: (N, C, H, W), dy routed to each window's winner."""
        x_shape, arg = cache
        n, c, oh, ow = dy.shape
        k, s = self.kernel, self.stride
        dx = np.zeros(x_shape, dtype=dy.dtype)
        if s >= k:  # windows do not overlap: each cell is written by one window at most

            def rows(part: slice) -> None:
                for idx, view in enumerate(self._views(dx[part])):
                    np.copyto(view, dy[part], where=arg[part] == idx)

            over_batch(rows, n)
            return dx, {}
        di, dj = np.divmod(arg, k)
        rows = np.arange(oh)[:, None] * s + di
        cols = np.arange(ow)[None, :] * s + dj
        nn = np.arange(n)[:, None, None, None]
        cc = np.arange(c)[None, :, None, None]
        np.add.at(dx, (nn, cc, rows, cols), dy)
        return dx, {}


# ---------------------------------------------------------------------------- dense


class Dense:
    """y = x W^T + b.

    params: W (out, in), b (out,); x: (N, in) -> y: (N, out)
    """

    kind = "dense"

    def __init__(self, n_in: int, n_out: int) -> None:
        self.n_in, self.n_out = n_in, n_out
        self.params = {"W": np.zeros((n_out, n_in), np.float32), "b": np.zeros(n_out, np.float32)}

    def output_shape(self, in_shape: tuple) -> tuple:
        if tuple(in_shape) != (self.n_in,):
            raise ShapeError(f"dense expects ({self.n_in},) inputs, got {tuple(in_shape)}")
        return (self.n_out,)

    def infer(self, x: np.ndarray) -> np.ndarray:
        _expect_ndim(x, 2, "Dense")
        self.output_shape(x.shape[1:])
        w = self.params["W"].astype(x.dtype, copy=False)
        y = matmul_serial(x, w.T)
        y += self.params["b"].astype(x.dtype, copy=False)
        return y

    def bind_into(self, x: np.ndarray, out: np.ndarray, scratch: dict | None = None):
        """A call writing infer(x) into out (N, out) for a few float32 rows: one product."""
        _expect_ndim(x, 2, "Dense")
        self.output_shape(x.shape[1:])
        w_t, b = self.params["W"].T, self.params["b"]

        def run() -> None:
            np.matmul(x, w_t, out=out)
            np.add(out, b, out=out)

        return run

    def forward(self, x: np.ndarray):
        return self.infer(x), x

    def backward(self, dy: np.ndarray, x):
        w = self.params["W"].astype(dy.dtype, copy=False)
        return matmul_serial(dy, w), {"W": matmul_tn_serial(dy, x), "b": dy.sum(axis=0)}


# ---------------------------------------------------------------------------- loss


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray):
    """Mean cross-entropy of softmax(logits) against integer labels, and its gradient.

    logits: (N, 10), labels: (N,) int -> loss: float, dlogits: (N, 10)
    """
    _expect_ndim(logits, 2, "softmax_cross_entropy")
    if labels.shape != (logits.shape[0],):
        raise ShapeError(f"labels shape {labels.shape} does not match logits {logits.shape}")
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = logits.shape[0]
    loss = -float(log_p[np.arange(n), labels].mean())
    grad = np.exp(log_p)
    grad[np.arange(n), labels] -= 1
    return loss, grad / n
