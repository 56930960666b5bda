"""Start-up fails fast and whole: every kind of bad weights or metadata stops the server with
one line and a non-zero exit, in-process, under uvicorn, and with two workers."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from lenet_vis.app.config import Settings
from lenet_vis.app.main import create_app
from lenet_vis.assets import WEIGHTS
from lenet_vis.model.lenet import weights_digest
from tests.server import free_port

HANG_GUARD = 60


def write_weights(folder, arrays: dict, meta) -> None:
    np.savez(folder / "lenet.npz", **arrays)
    (folder / "lenet.json").write_text(meta if isinstance(meta, str) else json.dumps(meta))


def good_arrays() -> dict:
    with np.load(WEIGHTS) as z:
        return {k: z[k] for k in z.files}


def with_hash(arrays: dict) -> dict:
    return {"weights_sha256": weights_digest(arrays)}


def bad_nan(arrays):
    arrays["fc1.W"] = arrays["fc1.W"].copy()
    arrays["fc1.W"][3, 7] = np.nan
    return arrays, with_hash(arrays)


def bad_inf(arrays):
    arrays["conv1.b"] = arrays["conv1.b"].copy()
    arrays["conv1.b"][0] = -np.inf
    return arrays, with_hash(arrays)


def bad_shape(arrays):
    arrays["fc3.W"] = np.zeros((10, 99), np.float32)
    return arrays, with_hash(arrays)


def bad_hash(arrays):
    return arrays, {"weights_sha256": "0" * 64}


CASES = {
    "NaN in a weight": (bad_nan, "fc1.W holds NaN or infinite values"),
    "Inf in a bias": (bad_inf, "conv1.b holds NaN or infinite values"),
    "wrong shape": (bad_shape, "fc3.W is float32(10, 99), expected float32(10, 100)"),
    "wrong hash": (bad_hash, "does not match"),
    "metadata is a list": (lambda a: (a, "[1, 2]"), "must hold a JSON object, not list"),
    "metadata is a string": (lambda a: (a, '"x"'), "must hold a JSON object, not str"),
    "metadata is null": (lambda a: (a, "null"), "must hold a JSON object, not NoneType"),
    "metadata is not JSON": (lambda a: (a, "{'a': 1"), "not valid JSON"),
    "metadata nests too deep": (lambda a: (a, "[" * 100_000), "not valid JSON"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_weights_or_metadata_stop_the_app_with_one_line(tmp_path, capsys, case):
    make, words = CASES[case]
    arrays, meta = make(good_arrays())
    write_weights(tmp_path, arrays, meta)
    with pytest.raises(SystemExit) as stop:
        create_app(Settings(weights=tmp_path / "lenet.npz"))
    assert stop.value.code == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lenet-vis: cannot start: ")
    assert words in lines[0]


def test_missing_and_truncated_weights_stop_the_app(tmp_path, capsys):
    with pytest.raises(SystemExit):
        create_app(Settings(weights=tmp_path / "none.npz"))
    assert "file is missing" in capsys.readouterr().err
    shutil.copy(WEIGHTS.with_suffix(".json"), tmp_path / "lenet.json")
    (tmp_path / "lenet.npz").write_bytes(WEIGHTS.read_bytes()[:5000])
    with pytest.raises(SystemExit):
        create_app(Settings(weights=tmp_path / "lenet.npz"))
    assert "truncated" in capsys.readouterr().err


def port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize(
    "command",
    [
        ["-m", "uvicorn", "lenet_vis.app.main:app", "--workers", "2"],
        ["-m", "lenet_vis.app.cli", "serve", "--workers", "2"],
    ],
    ids=["uvicorn --workers 2", "lenet-vis serve --workers 2"],
)
def test_bad_weights_with_two_workers_exit_non_zero_and_close_the_port(tmp_path, command):
    """The supervisor must not respawn failing workers for ever with the port open."""
    arrays, meta = bad_nan(good_arrays())
    write_weights(tmp_path, arrays, meta)
    port = free_port()
    env = {**os.environ, "LENET_VIS_WEIGHTS": str(tmp_path / "lenet.npz")}
    proc = subprocess.Popen(
        [sys.executable, *command, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a process group of its own, as a shell would give it
    )
    try:
        _, err = proc.communicate(timeout=HANG_GUARD)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
    assert proc.returncode != 0
    ours = [line for line in err.splitlines() if line.startswith("lenet-vis:")]
    assert ours and all("fc1.W holds NaN or infinite values" in line for line in ours)
    time.sleep(0.5)  # let a surviving worker, if any, show itself
    assert not port_open(port)
