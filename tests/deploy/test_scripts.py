"""scripts/serve.sh in a copy of the repository: repairs .venv, installs once, shows the address.

The copy starts with a half-made .venv (a Python but no pip: what `python3 -m venv` leaves on
Debian without python3-venv). Installing uses requirements.lock through PyPI or pip's cache.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.server import free_port

ROOT = Path(__file__).resolve().parents[2]
FILES = ("pyproject.toml", "README.md", "requirements.lock", "requirements-test.lock")


def env() -> dict:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def serve_sh(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "scripts/serve.sh", *args],
        cwd=repo,
        env=env(),
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    repo = tmp_path_factory.mktemp("repo")
    for name in FILES:
        shutil.copy(ROOT / name, repo / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("scripts", "lenet_vis"):
        shutil.copytree(ROOT / folder, repo / folder, ignore=ignore)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(repo / ".venv")], check=True)
    return repo


@pytest.fixture(scope="module")
def first_run(repo) -> subprocess.CompletedProcess:
    return serve_sh(repo, "--setup-only")


def test_a_half_made_venv_is_made_anew_and_the_lock_installed(repo, first_run):
    assert first_run.returncode == 0, first_run.stderr
    assert "repairing .venv" in first_run.stderr
    assert "pinned packages from requirements.lock" in first_run.stderr
    assert "[1/" in first_run.stderr  # progress, one line a package
    where = subprocess.run(
        [
            str(repo / ".venv" / "bin" / "python"),
            "-c",
            "import lenet_vis; print(lenet_vis.__file__)",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
        env=env(),
    ).stdout
    assert Path(where.strip()).is_relative_to(repo / "lenet_vis")


def test_nothing_is_installed_again_until_the_lock_or_pyproject_changes(repo, first_run):
    again = serve_sh(repo, "--setup-only")
    assert again.returncode == 0, again.stderr
    assert "up to date" in again.stderr and "installing" not in again.stderr

    with (repo / "pyproject.toml").open("a") as f:
        f.write("\n# changed\n")
    changed = serve_sh(repo, "--setup-only")
    assert changed.returncode == 0, changed.stderr
    assert "installing" in changed.stderr and "repairing" not in changed.stderr


def test_serve_prints_the_address_it_listens_on(repo, first_run):
    port = free_port()
    proc = subprocess.Popen(
        ["bash", "scripts/serve.sh", "--port", str(port)],
        cwd=repo,
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        said = [proc.stdout.readline() for _ in range(2)]  # "up to date", then the address
        assert f"open http://127.0.0.1:{port} " in said[1], said
        for _ in range(600):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stdout.read()
            time.sleep(0.1)
        else:
            pytest.fail("serve.sh did not serve within 60 s")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
