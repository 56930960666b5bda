"""The Dockerfile and deploy/compose.yaml stay in step with the code and deploy/nginx.conf.

They cannot be built here (no Docker engine), so these read them: what they copy exists and
is not docker-ignored, the command they run is one the CLI accepts, the ports and names agree.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
NGINX = (ROOT / "deploy" / "nginx.conf").read_text()


def test_the_image_copies_files_that_exist_and_are_not_docker_ignored():
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    copied = []
    for line in DOCKERFILE.splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            copied += line.split()[1:-1]
    assert set(copied) >= {"requirements.lock", "pyproject.toml", "lenet_vis"}
    for name in copied:
        assert (ROOT / name).exists(), name
        assert name not in ignored, name


def test_the_image_runs_a_serve_command_the_cli_accepts():
    (cmd,) = [line for line in DOCKERFILE.splitlines() if line.startswith("CMD ")]
    assert "exec lenet-vis serve " in cmd
    flags = set(re.findall(r"--[a-z-]+", cmd))
    assert flags == {"--host", "--port", "--workers"}
    usage = subprocess.run(
        [sys.executable, "-m", "lenet_vis.app.cli", "serve", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert all(flag in usage for flag in flags)
    assert "/healthz" in DOCKERFILE
    assert "FROM python:3.11" in DOCKERFILE  # the lock is compiled for Python 3.11 and up


def test_compose_puts_nginx_with_the_tested_config_in_front_of_the_replicas():
    app, lb = COMPOSE["services"]["app"], COMPOSE["services"]["lb"]
    assert app["build"]["context"] == ".." and app["build"]["dockerfile"] == "Dockerfile"
    assert app["deploy"]["replicas"] >= 2
    assert "ports" not in app  # replicas are reached only through nginx
    port = re.search(r"PORT=(\d+)", DOCKERFILE).group(1)
    assert app["expose"] == [port]
    assert re.search(rf"^\s*server app:{port} max_fails=\d+ fail_timeout=\d+s;", NGINX, re.M)
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in lb["volumes"]
    assert (ROOT / "deploy" / "nginx.conf").is_file()
    assert re.search(r"^\s*listen 80;", NGINX, re.M) and lb["ports"] == ["8000:80"]
