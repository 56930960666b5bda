import pytest
from fastapi.testclient import TestClient

from lenet_vis.app.config import Settings
from lenet_vis.app.main import create_app


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings(max_batch=8, max_body_bytes=2_000_000))) as c:
        yield c
