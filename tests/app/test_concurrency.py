"""The network is read-only at serve time: answers under load equal answers computed alone."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np


def test_concurrent_requests_get_the_answers_computed_alone(live_server, digits):
    images = [np.kron(digits[0][i], np.ones((4, 4), np.uint8)).tolist() for i in range(16)]
    bodies = [
        {"image": img, "encoding": "base64", "layers": ["conv2", "fc1", "softmax"]}
        for img in images
    ]
    with httpx.Client(base_url=live_server, timeout=30) as c:
        alone = [c.post("/api/predict", json=b).json() for b in bodies]

    def call(i):
        with httpx.Client(base_url=live_server, timeout=30) as c:
            return i % 16, c.post("/api/predict", json=bodies[i % 16]).json()

    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(call, range(160)))
    assert len(results) == 160
    for i, body in results:
        assert body == alone[i]
    assert [a["prediction"] for a in alone] == digits[1][:16].tolist()
