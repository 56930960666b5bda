"""The CPU pool: work runs in threads, at most `threads` at once, and past `threads + queue`
a request is refused at once (the route answers 503 with Retry-After)."""

import threading

import anyio
import httpx
import pytest

from lenet_vis.app.offload import CpuPool, ServerBusy
from tests.app.serving import serving


def test_past_threads_and_queue_a_call_is_refused_at_once():
    release = threading.Event()
    entered = []

    def work(i):
        entered.append(i)
        release.wait()
        return i

    async def main():
        pool = CpuPool(threads=1, queue=1)
        results = []
        async with anyio.create_task_group() as tg:

            async def call(i):
                results.append(await pool.run(work, i))

            tg.start_soon(call, 0)
            tg.start_soon(call, 1)
            await anyio.sleep(0)
            while pool.in_flight < 2 or not entered:
                await anyio.sleep(0.01)
            with pytest.raises(ServerBusy):
                await pool.run(work, 2)
            assert len(entered) == 1  # one thread: the other call waits in the queue
            release.set()
        assert sorted(results) == [0, 1] and pool.in_flight == 0

    anyio.run(main)


def test_a_server_past_capacity_answers_503_with_retry_after():
    """One CPU thread and no queue: of 12 heavy requests at once, those that find the thread
    busy get 503 with Retry-After, the others 200; a request afterwards is served."""
    import base64
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGBA", (1900, 1900), (0, 0, 0, 0)).save(buf, "PNG")
    body = {"image_base64": "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()}
    with serving(cpu_threads=1, cpu_queue=0) as (url, _):
        barrier = threading.Barrier(12)
        answers = []

        def call():
            with httpx.Client(timeout=60) as c:
                barrier.wait()
                answers.append(c.post(f"{url}/api/predict", json={**body, "layers": []}))

        threads = [threading.Thread(target=call) for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        codes = sorted(r.status_code for r in answers)
        assert set(codes) <= {200, 503} and 200 in codes, codes
        for r in answers:
            if r.status_code == 503:
                assert r.headers["retry-after"] == "1"
                assert r.json()["detail"][0]["type"] == "busy"
        assert httpx.post(f"{url}/api/predict", json={**body, "layers": []}).status_code == 200


def test_explanations_and_knowledge_share_the_pool_and_its_503(digits):
    """One CPU thread and no queue: while a long counterfactual search holds the thread (or
    one of these holds it), the explanation and knowledge routes are refused with 503 and
    Retry-After, never queued; afterwards they are served."""
    ink = digits[0][0].tolist()
    long_search = {"image": ink, "preprocess": False, "target": 3, "max_steps": 500}
    others = [
        ("/api/explain/attribution", {"image": ink, "methods": ["gradient"]}),
        ("/api/knowledge/neighbours", {"image": ink}),
        ("/api/explain/compare", {"a": {"image": ink}, "b": {"image": ink}, "steps": 2}),
    ]
    with serving(cpu_threads=1, cpu_queue=0) as (url, _):
        answers = []

        def search():
            with httpx.Client(timeout=60) as c:
                answers.append(c.post(f"{url}/api/explain/counterfactual", json=long_search))

        worker = threading.Thread(target=search)
        with httpx.Client(base_url=url, timeout=60) as c:
            worker.start()
            while worker.is_alive():
                answers.extend(c.post(path, json=body) for path, body in others)
            worker.join()
            codes = [r.status_code for r in answers]
            assert set(codes) <= {200, 503} and 503 in codes, codes
            for r in answers:
                if r.status_code == 503:
                    assert r.headers["retry-after"] == "1"
                    assert r.json()["detail"][0]["type"] == "busy"
            for path, body in others:
                assert c.post(path, json=body).status_code == 200
