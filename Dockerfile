# The API and the worker share this image; docker-compose.yml picks the command.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /srv/cuvee
COPY pyproject.toml README.md ./
COPY app ./app
COPY documents ./documents
COPY search ./search
RUN pip install .
RUN useradd --system --home /srv/cuvee cuvee && mkdir -p /data && chown cuvee /data
USER cuvee
EXPOSE 8000
CMD ["cuvee", "serve", "--host", "0.0.0.0", "--port", "8000"]
