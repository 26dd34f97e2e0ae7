FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv UV_PYTHON_DOWNLOADS=never UV_NO_CACHE=1 \
    PATH=/opt/venv/bin:$PATH \
    DISPATCH_INSTANCE_PATH=/app/instance
# The same lock as `make run` and `make test`: exactly the pinned, hash-checked packages.
RUN pip install --no-cache-dir uv==0.13.8
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-install-project
COPY server server
COPY pages pages
COPY dispatch dispatch
COPY geo geo
COPY mobile_api mobile_api
COPY migrations migrations
COPY simulate simulate
RUN uv sync --locked --no-editable
# The app runs unprivileged and owns what it writes: instance/ and the photo directory of
# docker-compose.yml (DISPATCH_PHOTO_DIR), which a new named volume mounted there inherits.
RUN useradd --system --home /app app \
    && mkdir -p /app/instance /data/photos \
    && chown app:app /app/instance /data/photos
USER app
EXPOSE 5000
# One gevent worker per process; gunicorn's default of 1,000 connections would cap the officers
# a process can hold (connection 1,001 waits in the backlog). server/gunicorn_conf.py: the
# metrics' multi-process folder (PROMETHEUS_MULTIPROC_DIR) and its hooks.
CMD ["gunicorn", "-c", "python:server.gunicorn_conf", \
     "-k", "geventwebsocket.gunicorn.workers.GeventWebSocketWorker", "-w", "1", \
     "--worker-connections", "10000", "--bind", "0.0.0.0:5000", "server.wsgi:create()"]
