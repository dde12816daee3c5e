# The hotline service image, for docker-compose.yml and similar deployments.
FROM python:3.11-slim
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md alembic.ini babel.cfg Makefile ./
COPY src ./src
COPY migrations ./migrations
COPY locales ./locales
RUN pip install --no-cache-dir -e . \
    && for po in locales/*/LC_MESSAGES/hotline.po; do \
         pybabel -q compile -i "$po" -o "${po%.po}.mo" -D hotline; done
RUN useradd --system hotline && mkdir -p /var/lib/hotline && chown hotline /var/lib/hotline
ENV HOTLINE_DATA_DIR=/var/lib/hotline
USER hotline
EXPOSE 8000
CMD ["hotline", "serve", "--host", "0.0.0.0", "--port", "8000"]
