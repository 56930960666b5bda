"""The live channel (WebSocket /api/live) through deploy/nginx.conf: the upgrade is relayed,
a quiet connection outlives nginx's short client timeouts, and Origin is checked against the
address the browser used (nginx passes the client's Host on, port and all)."""

from __future__ import annotations

import time

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from deploy.local import Cluster, find_nginx
from lenet_vis.app.live import drawing_message, read_answer
from tests.app.live_clients import pad_grids, ws_url

pytestmark = pytest.mark.skipif(
    find_nginx() is None,
    reason="nginx is not installed (apt-get install --no-install-recommends nginx; "
    "scripts/test.sh and .ci/run install it)",
)

# one-second client and upstream read timeouts, which /api/live must not inherit
TEST_SETTINGS = {
    "client_header_timeout": "1s",
    "client_body_timeout": "1s",
    "proxy_read_timeout": "1s",
}


@pytest.fixture(scope="module")
def cluster():
    with Cluster(replicas=1, settings=TEST_SETTINGS) as c:
        yield c


def test_drawings_are_answered_through_nginx_and_a_quiet_connection_stays_open(cluster):
    grid = pad_grids(1)[0]
    with connect(ws_url(cluster.url), origin=cluster.url, compression=None) as ws:
        ws.send(drawing_message(1, grid))
        first = read_answer(ws.recv(timeout=20))
        assert first["seq"] == 1 and first["prediction"] == 7
        time.sleep(2.5)  # past the 1 s timeouts here
        ws.send(drawing_message(2, grid))
        assert read_answer(ws.recv(timeout=20))["seq"] == 2


def test_another_origin_is_refused_through_nginx(cluster):
    with (
        pytest.raises(InvalidStatus) as info,
        connect(ws_url(cluster.url), origin="http://evil.example"),
    ):
        pass
    assert info.value.response.status_code == 403
