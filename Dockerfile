# syntax=docker/dockerfile:1
# Production image: `docker compose up -d --build` (see docker-compose.yml) runs web, worker,
# beat and migrate from this one image.

# --- Stage 1: front-end assets (GOV.UK Frontend compiled with our settings) -> static/dist/
FROM node:20-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
# sass and govuk-frontend are devDependencies, so NODE_ENV must not be "production" here.
RUN npm ci --no-audit --no-fund --loglevel=error
COPY static/scss ./static/scss
COPY static/js ./static/js
RUN npm run build

# --- Stage 2: the Django application
FROM python:3.11-slim-bookworm

# PYTHONPATH: the checkout in /app wins over the copy `pip install .` puts in site-packages,
# so BASE_DIR (templates/, static/) is /app whichever way a process imports `config`.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    MEDIA_ROOT=/app/media

# WeasyPrint's runtime libraries and a font for PDFs; poppler-utils (pdftotext) for PDF checks.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
        fonts-dejavu-core poppler-utils \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system app && useradd --system --gid app --home-dir /app --no-create-home app

WORKDIR /app
COPY . .
COPY --from=assets /build/static/dist ./static/dist

RUN pip install --no-cache-dir . \
    && rm -rf build ./*.egg-info

# Dummy values, used by this one step only: production settings refuse to load without them.
# They are not in the image's environment; the real ones come from docker compose at run time.
ARG BUILD_SECRET_KEY=collectstatic-only-not-a-real-key
ARG BUILD_ALLOWED_HOSTS=localhost
RUN SECRET_KEY=$BUILD_SECRET_KEY ALLOWED_HOSTS=$BUILD_ALLOWED_HOSTS BROKER_DIR=/tmp/broker \
        DJANGO_SETTINGS_MODULE=config.settings.production \
        python manage.py collectstatic --noinput \
    && rm -rf /tmp/broker

# The code stays root-owned and read-only to the app; only media and audit (volumes) are writable.
# A new named volume copies this directory's owner, so the worker can write PDFs to it.
RUN mkdir -p /app/media /app/audit && chown app:app /app/media /app/audit

USER app
EXPOSE 8000

CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
