FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY server server
COPY dispatch dispatch
COPY geo geo
COPY mobile_api mobile_api
COPY migrations migrations
RUN pip install --no-cache-dir .
RUN useradd --system --home /app app && mkdir -p /app/instance && chown app /app/instance
USER app
EXPOSE 5000
# One gevent worker per process; gunicorn's default of 1,000 connections would cap the officers
# a process can hold (connection 1,001 waits in the backlog).
CMD ["gunicorn", "-k", "geventwebsocket.gunicorn.workers.GeventWebSocketWorker", "-w", "1", \
     "--worker-connections", "10000", "--bind", "0.0.0.0:5000", "server.wsgi:create()"]
