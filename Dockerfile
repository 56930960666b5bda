# lenet-vis: the web app and JSON API on its committed weights, from the wheel.
#   docker build -t lenet-vis .
#   docker run -p 8000:8000 -e WEB_CONCURRENCY=2 lenet-vis
# N replicas behind nginx: deploy/compose.yaml. (Not built in CI: no Docker engine there.)

# build the wheel from the sources, with the pinned build backend
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY requirements.lock pyproject.toml README.md ./
COPY lenet_vis ./lenet_vis
RUN pip install --require-hashes -r requirements.lock \
 && pip wheel --no-deps --no-build-isolation -w /wheels .

# runtime: the pinned runtime dependencies (hashes checked) and the wheel, nothing else
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 WEB_CONCURRENCY=1 PORT=8000
RUN useradd --create-home --uid 10001 lenet
COPY requirements.lock /tmp/requirements.lock
RUN pip install --require-hashes -r /tmp/requirements.lock && rm /tmp/requirements.lock
COPY --from=build /wheels /wheels
RUN pip install --no-deps /wheels/*.whl && rm -rf /wheels

USER lenet
WORKDIR /home/lenet
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz', timeout=2)"
# SIGTERM (docker stop) lets uvicorn finish requests in flight before it exits
CMD ["sh", "-c", "exec lenet-vis serve --host 0.0.0.0 --port \"$PORT\" --workers \"$WEB_CONCURRENCY\""]
