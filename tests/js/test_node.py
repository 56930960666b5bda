"""The JS unit tests (node --test tests/js/) and the geometry fixture they read."""

import shutil
import subprocess

import pytest

from tests.conftest import ROOT
from tests.js.fixtures import FIXTURE, fixture_text


def test_geometry_fixture_is_what_model_geometry_makes():
    assert FIXTURE.read_text() == fixture_text(), (
        "tests/js/fixtures/geometry.json is stale: run python -m tests.js.fixtures"
    )


def test_js_unit_tests_pass_under_node():
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (apt-get install -y nodejs): JS unit tests not run")
    run = subprocess.run(
        [node, "--test", "tests/js/"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
