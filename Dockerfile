# syntax=docker/dockerfile:1
# chatserve serving the demo bot. `docker build -t chatserve .`, then
# `docker run -p 8000:8000 -v chatserve-data:/data chatserve`; README.md, "Deploying", has more.
# tests/test_container.py builds and serves this image's Python side without a Docker engine.

# The wheel, with the committed web UI (web/dist) and schema inside: no Node.js needed.
FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY chatserve chatserve
COPY schemas schemas
COPY web/dist web/dist
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.12-slim
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --root-user-action=ignore /wheels/*.whl
RUN groupadd --system --gid 10001 chatserve \
    && useradd --system --uid 10001 --gid chatserve --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin chatserve \
    && mkdir /data && chown chatserve:chatserve /data
WORKDIR /bot
COPY configs ./
# The data dir a config gets by default (.chatserve beside it) is the /data volume.
RUN ln -s /data .chatserve
VOLUME /data
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["chatserve", "serve", "bot.yaml", "--host", "0.0.0.0", "--no-reload"]
