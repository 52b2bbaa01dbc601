# The collect service (docs/deploy.md): a non-root user, a health check on /healthz, no answer
# keys inside (mount keys/ read-only at run time). Build: docker build -t examsite-collect .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY generator ./generator
RUN pip install --no-cache-dir . \
    && useradd --system --uid 10001 --create-home --home-dir /data examsite \
    && rm -rf /src

USER examsite
WORKDIR /data
EXPOSE 8080

# 503 (the database does not answer) or no answer at all: urlopen raises, the check fails.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)"]

# Inside the container it listens on every interface; publish the port on loopback only, behind
# the HTTPS proxy. EXAMSITE_DB, EXAMSITE_ORIGINS, EXAMSITE_KEYS, EXAMSITE_CALLBACK_TOKEN and
# PROVIEW_* come from the environment.
ENTRYPOINT ["examsite", "collect", "serve", "--host", "0.0.0.0", "--port", "8080"]
CMD ["--db", "/data/collect.sqlite"]
