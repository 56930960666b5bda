"""The live channel's lean path: preprocessing a uint8 grid into a given array and every layer
written into given arrays (LeNet.forward_into / bind_into) equal the ordinary path exactly."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from lenet_vis.model.geometry import layer_geometry
from lenet_vis.model.layers import ShapeError
from lenet_vis.model.preprocess import grid_input, network_input, to_network_input


def buffers() -> dict[str, np.ndarray]:
    return {g.name: np.full(g.output_shape, np.nan, np.float32) for g in layer_geometry()}


def grids(digits, count: int = 60) -> list[np.ndarray]:
    """Fixture digits at sides 28-256, some small and off-centre, plus blank and near-blank."""
    rng = np.random.default_rng(1)
    out = []
    for i, d in enumerate(digits[0][:count]):
        side = int(rng.integers(28, 257))
        g = np.asarray(Image.fromarray(d).resize((side, side), Image.Resampling.BILINEAR))
        if i % 3 == 0:
            g = np.zeros((side, side), np.uint8)
            half = side // 2
            g[:half, half - half // 2 : 2 * half - half // 2] = np.asarray(
                Image.fromarray(d).resize((half, half))
            )
        out.append(g)
    out.append(np.zeros((140, 140), np.uint8))
    faint = np.zeros((140, 140), np.uint8)
    faint[5, 5] = 15
    out.append(faint)
    return out


def test_a_uint8_grid_preprocesses_exactly_as_its_float_copy(digits):
    x = np.empty((32, 32), np.float32)
    for g in grids(digits):
        expected = network_input(g.astype(np.float64))
        assert np.array_equal(to_network_input(g), expected.x)
        x.fill(np.nan)
        assert to_network_input(g, out=x) is x and np.array_equal(x, expected.x)
        x.fill(np.nan)
        assert grid_input(g, x) is expected.blank
        assert np.array_equal(x, expected.x)


def test_every_layer_written_in_place_equals_forward_bit_for_bit(net, digits):
    outs = buffers()
    run = net.bind_into(outs)
    for g in grids(digits, 30):
        x = to_network_input(g)
        expected = net.forward(x)
        outs["input"][0] = x
        run()
        for name, value in expected.items():
            assert np.array_equal(outs[name].reshape(value.shape), value), name
        fresh = buffers()
        fresh["input"][0] = x
        net.forward_into(fresh)
        assert np.array_equal(fresh["softmax"], expected["softmax"])


def test_bind_into_refuses_a_batch(net):
    outs = {g.name: np.zeros((2, *g.output_shape), np.float32) for g in layer_geometry()}
    with pytest.raises(ShapeError):
        net.layers["conv1"].bind_into(outs["input"], outs["conv1"])


def test_frames_sharing_scratch_buffers_each_get_their_own_answer(net, digits):
    scratch: dict = {}
    a, b = buffers(), buffers()
    run_a, run_b = net.bind_into(a, scratch), net.bind_into(b, scratch)
    xa, xb = to_network_input(digits[0][0]), to_network_input(digits[0][1])
    a["input"][0], b["input"][0] = xa, xb
    run_a()
    run_b()
    assert np.array_equal(a["softmax"], net.forward(xa)["softmax"])
    assert np.array_equal(b["softmax"], net.forward(xb)["softmax"])
    assert len(scratch) == 2  # conv1's and conv2's, made once
