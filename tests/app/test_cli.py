"""The command line: predict on a PNG file, in words and in JSON; clear failures."""

import json

import numpy as np
import pytest
from PIL import Image

from lenet_vis.app.cli import BLAS_THREADS, main, one_blas_thread
from tests.server import server_environment


def test_predict_prints_the_digit_and_ten_probabilities(tmp_path, digits, capsys):
    path = tmp_path / "digit.png"
    Image.fromarray(np.kron(digits[0][0], np.ones((6, 6), np.uint8))).save(path)
    assert main(["predict", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"digit {digits[1][0]} (")
    assert len(out) == 11
    assert main(["predict", str(path), "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["prediction"] == digits[1][0] and abs(sum(body["probabilities"]) - 1) < 1e-5


def test_predict_on_a_dark_ink_scan_inverts_it(tmp_path, digits, capsys):
    path = tmp_path / "scan.png"
    Image.fromarray(255 - np.kron(digits[0][1], np.ones((5, 5), np.uint8))).save(path)
    main(["predict", str(path), "--json"])
    assert json.loads(capsys.readouterr().out)["prediction"] == digits[1][1]


def test_predict_says_blank_and_refuses_a_non_image(tmp_path, capsys):
    blank = tmp_path / "blank.png"
    Image.new("L", (50, 50)).save(blank)
    main(["predict", str(blank)])
    assert "blank" in capsys.readouterr().out
    bad = tmp_path / "bad.png"
    bad.write_text("hello")
    assert main(["predict", str(bad)]) == 2
    assert "not a readable image" in capsys.readouterr().err


def test_a_missing_weights_file_is_one_line(tmp_path, capsys):
    assert main(["predict", "x.png", "--weights", str(tmp_path / "none.npz")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"lenet-vis: {tmp_path / 'none.npz'}: file is missing"]


def test_the_cli_and_the_api_agree_on_blank(tmp_path, capsys, client):
    """One blank rule (model.preprocess.network_input) for the command line and the API."""
    from tests.app.helpers import data_url, png_bytes

    for peak, blank in [(15, True), (16, False)]:
        ink = np.zeros((60, 60), np.uint8)
        ink[20:40, 28:32] = peak
        path = tmp_path / f"faint{peak}.png"
        Image.fromarray(ink).save(path)
        main(["predict", str(path), "--json"])
        assert json.loads(capsys.readouterr().out)["blank"] is blank
        r = client.post("/api/predict", json={"image_base64": data_url(png_bytes(ink))})
        assert r.json()["blank"] is blank
        r = client.post("/api/predict", json={"image": ink.tolist(), "layers": []})
        assert r.json()["blank"] is blank


def test_serve_gives_each_worker_one_blas_thread_unless_the_user_chose(capsys, monkeypatch):
    env = {"PATH": "/usr/bin"}
    assert one_blas_thread(env) and all(env[name] == "1" for name in BLAS_THREADS)
    for name in BLAS_THREADS:
        chosen = {name: "4"}
        assert not one_blas_thread(chosen) and chosen == {name: "4"}
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    assert "one BLAS thread" in " ".join(capsys.readouterr().out.split())
    for name in BLAS_THREADS:
        monkeypatch.delenv(name, raising=False)
    assert all(server_environment()[name] == "1" for name in BLAS_THREADS)  # as tests serve
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert server_environment()["OMP_NUM_THREADS"] == "2"
    assert "OPENBLAS_NUM_THREADS" not in server_environment()


def test_served_workers_start_with_one_blas_thread(monkeypatch):
    """`lenet-vis serve --workers 2`: each worker process starts with the BLAS variables set."""
    from pathlib import Path

    from tests.app.serving import serving

    for name in BLAS_THREADS:
        monkeypatch.delenv(name, raising=False)
    with serving(workers=2) as (_, proc):
        workers = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == proc.pid:
                    workers.append(stat.with_name("environ").read_bytes().split(b"\0"))
            except (OSError, IndexError, ValueError):
                continue
        assert len(workers) >= 2, workers  # the workers (and uvicorn's helper, if any)
        for environ in workers:
            for name in BLAS_THREADS:
                assert f"{name}=1".encode() in environ
