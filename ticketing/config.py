"""Settings from environment variables, with safe defaults for the demo.

With nothing set, the app keeps its SQLite database and its generated secret
under ``instance/`` (never in the repository).
"""
import os
import secrets
from pathlib import Path

ENV_PREFIX = "TICKETING_"


def instance_path() -> Path:
    """Where the demo database and generated secrets live."""
    return Path(os.environ.get("TICKETING_INSTANCE_PATH") or Path(__file__).resolve().parent.parent / "instance")


def write_once(path: Path, make) -> bytes:
    """Return the content of ``path``, creating it with ``make()`` (bytes, mode 0600) if missing.

    Several gunicorn workers may start at the same instant: the content is written to a
    temporary file and hard-linked into place, so exactly one value wins and nobody reads a
    half-written file.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        tmp.write_bytes(make())
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_bytes()


def read_or_create_secret(path: Path, nbytes: int = 32) -> str:
    return write_once(path, lambda: secrets.token_urlsafe(nbytes).encode()).decode().strip()


def sqlalchemy_url(url: str) -> str:
    """Accept the usual ``postgres://`` / ``postgresql://`` spellings and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_config() -> dict:
    inst = instance_path()
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{inst / 'ticketing.sqlite3'}"
    return {
        "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(database_url),
        "SECRET_KEY": os.environ.get("SECRET_KEY") or read_or_create_secret(inst / "secret_key"),
        "BABEL_DEFAULT_LOCALE": os.environ.get("DEFAULT_LANGUAGE", "th"),
        "BABEL_DEFAULT_TIMEZONE": "Asia/Bangkok",
        "HOLD_MINUTES": int(os.environ.get("HOLD_MINUTES", 5)),
        "GATE_OPENS_MINUTES": int(os.environ.get("GATE_OPENS_MINUTES", 180)),
        "SEATING_MAX_BYTES": int(os.environ.get("SEATING_MAX_BYTES", 5_000_000)),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_BYTES", 20_000_000)),
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "WTF_CSRF_TIME_LIMIT": None,
        "API_TITLE": "Candle Festival VIP seating API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "INSTANCE_PATH": str(inst),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", 587)),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": os.environ.get("MAIL_USE_TLS", "1") == "1",
        "MAIL_FROM": os.environ.get("MAIL_FROM", "tickets@localhost"),
        "MAIL_OUTBOX": os.environ.get("MAIL_OUTBOX") or str(inst / "outbox"),
        "TICKET_SIGNING_KEY_FILE": os.environ.get("TICKET_SIGNING_KEY_FILE") or str(inst / "ticket_signing_key.pem"),
    }
