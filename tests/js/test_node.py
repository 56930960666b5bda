"""The JS unit tests (node --test tests/js/) and the geometry fixture they read."""

import shutil
import subprocess

import pytest

from tests.conftest import ROOT
from tests.js.fixtures import FILES, FIXTURES


@pytest.mark.parametrize("name", sorted(FILES))
def test_js_fixture_is_what_the_python_makes(name):
    """geometry.json from model/geometry.py; decode.json from the app's encoder."""
    assert (FIXTURES / name).read_text() == FILES[name](), (
        f"tests/js/fixtures/{name} is stale: run python -m tests.js.fixtures"
    )


def test_js_unit_tests_pass_under_node():
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (apt-get install -y nodejs): JS unit tests not run")
    run = subprocess.run(
        [node, "--test", "tests/js/"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
