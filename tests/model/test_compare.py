"""Compare two inputs: B - A at every layer equals two forward passes; the blend path starts at
A's probabilities and ends at B's."""

import numpy as np

from lenet_vis.model.compare import blend_path, compare
from lenet_vis.model.train import mnist_to_input


def test_differences_are_b_minus_a_at_every_layer(net, digits):
    a, b = mnist_to_input(digits[0][:2])[:, 0]
    cmp = compare(net, a, b, steps=5)
    fa, fb = net.forward(a), net.forward(b)
    assert list(cmp.differences) == list(fa)
    for name in fa:
        np.testing.assert_allclose(cmp.differences[name], fb[name] - fa[name], atol=1e-5)
        assert cmp.differences[name].any(), name
    np.testing.assert_allclose(cmp.logit_change, fb["fc3"] - fa["fc3"], atol=1e-5)


def test_the_blend_path_runs_from_a_to_b(net, digits):
    a, b = mnist_to_input(digits[0][:2])[:, 0]
    alphas, path = blend_path(net, a, b, steps=9)
    np.testing.assert_allclose(alphas, np.linspace(0, 1, 9))
    assert path.shape == (9, 10)
    np.testing.assert_allclose(path[0], net.predict(a), atol=1e-6)
    np.testing.assert_allclose(path[-1], net.predict(b), atol=1e-6)
    np.testing.assert_allclose(path[4], net.predict((a + b) / 2), atol=1e-6)


def test_a_drawing_compared_with_itself_differs_nowhere(net, digits):
    a = mnist_to_input(digits[0][:1])[0, 0]
    cmp = compare(net, a, a, steps=3)
    assert not any(d.any() for d in cmp.differences.values())
    np.testing.assert_allclose(cmp.path, np.tile(net.predict(a), (3, 1)), atol=1e-6)
