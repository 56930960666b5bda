"""Geometry as data: shapes from the layers, source windows and receptive fields."""

import numpy as np
import pytest

from lenet_vis.model.geometry import layer_geometry, receptive_field, source_window


def test_geometry_lists_every_layer_with_its_shapes():
    geo = {g.name: g for g in layer_geometry()}
    assert geo["conv2"].input_shape == (6, 14, 14)
    assert geo["conv2"].output_shape == (16, 10, 10)
    assert (geo["conv2"].kernel, geo["conv2"].stride, geo["conv2"].parameters) == (5, 1, 2416)
    assert geo["pool2"].kernel == 2 and geo["pool2"].stride == 2
    assert geo["fc1"].input_shape == (16, 5, 5) and geo["fc1"].parameters == 48_120
    assert sum(g.parameters for g in layer_geometry()) == 63_802


def test_pool_cell_reads_the_2x2_window_at_twice_its_position():
    w = source_window("pool2", 7, 3, 1)
    assert (w.layer, w.c0, w.depth, w.y, w.x, w.h, w.w) == ("relu2", 7, 1, 6, 2, 2, 2)


def test_conv_cell_reads_a_5x5_window_in_every_input_map():
    w = source_window("conv2", 11, 4, 5)
    assert (w.layer, w.c0, w.depth, w.y, w.x, w.h, w.w) == ("pool1", 0, 6, 4, 5, 5, 5)


def test_relu_and_dense_sources():
    assert source_window("relu1", 2, 9, 9).as_dict() == {
        "layer": "conv1",
        "c0": 2,
        "depth": 1,
        "y": 9,
        "x": 9,
        "h": 1,
        "w": 1,
    }
    fc1 = source_window("fc1", 10)
    assert (fc1.layer, fc1.depth, fc1.h, fc1.w) == ("pool2", 16, 5, 5)
    assert source_window("input", 0, 0, 0) is None


def test_cells_outside_a_layer_are_refused():
    with pytest.raises(IndexError, match="outside pool2"):
        source_window("pool2", 0, 5, 0)
    with pytest.raises(KeyError, match="unknown layer"):
        source_window("conv9", 0)


def test_receptive_field_is_the_set_of_input_pixels_that_move_the_cell(net):
    """Perturb every input pixel: none outside the field changes the cell, most inside do.

    (Inside, a pixel can be masked by a ReLU or lose a max-pool, so not every one must.)
    """
    rng = np.random.default_rng(0)
    x = rng.random((32, 32)).astype(np.float64)
    base = net.forward(x)["conv2"][:, 3, 4]
    changed = np.zeros((32, 32), bool)
    for y in range(32):
        for xx in range(32):
            x2 = x.copy()
            x2[y, xx] += 1.0
            changed[y, xx] = not np.allclose(net.forward(x2)["conv2"][:, 3, 4], base)
    rf = receptive_field("conv2", 3, 4)
    expected = np.zeros((32, 32), bool)
    expected[rf.y : rf.y + rf.h, rf.x : rf.x + rf.w] = True
    assert (rf.h, rf.w) == (14, 14)
    assert not changed[~expected].any()
    assert changed[expected].mean() > 0.5


def test_receptive_fields_grow_through_the_network():
    assert receptive_field("conv1", 0, 0).as_dict()["h"] == 5
    assert receptive_field("pool1", 1, 1).y == 2
    assert (receptive_field("pool2", 4, 4).y, receptive_field("pool2", 4, 4).h) == (16, 16)
    assert receptive_field("fc2").h == 32
