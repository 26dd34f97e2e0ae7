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
CMD ["gunicorn", "-k", "geventwebsocket.gunicorn.workers.GeventWebSocketWorker", "-w", "1", \
     "--bind", "0.0.0.0:5000", "server.wsgi:app"]
