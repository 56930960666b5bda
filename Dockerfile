# lenet-vis: the web app and JSON API on its committed weights.
#   docker build -t lenet-vis .
#   docker run -p 8000:8000 -e WEB_CONCURRENCY=2 lenet-vis
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    WEB_CONCURRENCY=1 PORT=8000

RUN useradd --create-home --uid 10001 lenet
WORKDIR /srv/lenet-vis

# runtime dependencies only (no test or train extras)
COPY pyproject.toml README.md ./
COPY lenet_vis ./lenet_vis
RUN pip install .

USER lenet
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz', timeout=2)"
CMD ["sh", "-c", "exec uvicorn lenet_vis.app.main:app --host 0.0.0.0 --port ${PORT} --workers ${WEB_CONCURRENCY}"]
