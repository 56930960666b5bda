"""The wheel, installed (not editable) into a fresh venv, serves from another folder.

The wheel is built from a clean copy of the sources, installed with its pinned runtime
dependencies (requirements.lock, hashes checked; PyPI or pip's cache), then `lenet-vis serve`
runs from an empty folder with no path back to this checkout. Its answers must equal the
checkout's own app for the same requests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.server import free_port, stop, wait_healthy

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIRS = ("static", "templates", "weights", "data")
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc")


def run(cmd: list, **kw) -> str:
    """Run a command; on failure the assertion shows its output."""
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=900, **kw)
    assert out.returncode == 0, f"{cmd} exited {out.returncode}:\n{out.stdout}\n{out.stderr}"
    return out.stdout


def clean_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def package_files(root: Path) -> set[str]:
    """Every file of the lenet_vis package under root, as wheel paths."""
    return {
        p.relative_to(root).as_posix()
        for p in (root / "lenet_vis").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> Path:
    """A clean copy of what the wheel is built from (no build/ or egg-info leftovers)."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "lenet_vis", src / "lenet_vis", ignore=SKIP)
    return src


@pytest.fixture(scope="module")
def wheel(sources, tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist)]
    if int(version("setuptools").split(".")[0]) >= 77:  # the pinned backend is here already
        cmd.append("--no-build-isolation")
    run([*cmd, str(sources)], env=clean_env())
    (whl,) = dist.glob("lenet_vis-*.whl")
    return whl


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh venv holding the pinned runtime and the wheel, nothing from this checkout."""
    venv = tmp_path_factory.mktemp("venv") / "v"
    run([sys.executable, "-m", "venv", str(venv)], env=clean_env())
    py = str(venv / "bin" / "python")
    pip = [py, "-m", "pip", "install", "-q"]
    run([*pip, "--require-hashes", "-r", str(ROOT / "requirements.lock")], env=clean_env())
    run([*pip, "--no-deps", str(wheel)], env=clean_env())
    return venv


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("elsewhere")


@pytest.fixture(scope="module")
def served(venv, elsewhere):
    """`lenet-vis serve` from the venv, started in an empty folder; yields its base URL."""
    port = free_port()
    log = (elsewhere / "serve.log").open("w")
    proc = subprocess.Popen(
        [str(venv / "bin" / "lenet-vis"), "serve", "--port", str(port)],
        cwd=elsewhere,
        env=clean_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_healthy(url, proc, 60)
        except RuntimeError:
            pytest.fail(f"the installed server did not answer /healthz: {log_text(elsewhere)}")
        yield url
    finally:
        stop(proc)
        log.close()


def log_text(folder: Path) -> str:
    return (folder / "serve.log").read_text()[-2000:]


@pytest.fixture(scope="module")
def checkout_client():
    from fastapi.testclient import TestClient

    from lenet_vis.app.main import create_app

    with TestClient(create_app()) as client:
        yield client


def test_wheel_holds_every_file_of_the_package(wheel, sources):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = sorted(package_files(sources) - names)
    assert not missing, f"files under lenet_vis/ left out of the wheel: {missing}"
    for folder in PACKAGE_DIRS:
        assert any(n.startswith(f"lenet_vis/{folder}/") for n in names), folder


def test_installed_package_is_found_in_the_venv_not_the_checkout(venv, elsewhere):
    code = (
        "import lenet_vis.assets as a\n"
        "print(a.PACKAGE)\n"
        "print(a.WEIGHTS.is_file(), a.SAMPLES.is_file(), (a.STATIC / 'js' / 'main.js').is_file(),"
        " (a.SWAGGER_UI / 'swagger-ui-bundle.js').is_file())"
    )
    out = run([str(venv / "bin" / "python"), "-c", code], cwd=elsewhere, env=clean_env())
    package, found = out.splitlines()
    package = Path(package.strip())
    assert package.is_relative_to(venv), package
    assert found.split() == ["True"] * 4


def test_installed_server_serves_pages_and_static_files(served):
    page = httpx.get(f"{served}/", timeout=10)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "/static/js/main.js" in page.text

    js = httpx.get(f"{served}/static/js/main.js", timeout=10)
    assert js.status_code == 200
    assert js.content == (ROOT / "lenet_vis" / "static" / "js" / "main.js").read_bytes()

    for path in (
        "/static/plotly/plotly.min.js",
        "/static/swagger/swagger-ui-bundle.js",
        "/static/swagger/swagger-ui.css",
        "/docs",
        "/model",
        "/learn",
    ):
        assert httpx.get(f"{served}{path}", timeout=30).status_code == 200, path


def test_installed_server_answers_the_api_as_the_checkout_does(served, checkout_client, digits):
    model = httpx.get(f"{served}/api/model", timeout=10)
    assert model.status_code == 200
    assert model.json() == checkout_client.get("/api/model").json()

    images, labels = digits
    for i in range(5):
        body = {"image": images[i].tolist(), "layers": ["softmax"]}
        got = httpx.post(f"{served}/api/predict", json=body, timeout=30)
        assert got.status_code == 200, got.text
        want = checkout_client.post("/api/predict", json=body).json()
        assert got.json()["prediction"] == want["prediction"] == int(labels[i])
        np.testing.assert_allclose(got.json()["probabilities"], want["probabilities"], atol=1e-7)

    sample = httpx.get(f"{served}/api/sample", timeout=10)
    assert sample.status_code == 200
