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


def environment() -> str:
    """``demo`` or ``production``: ``TICKETING_ENV`` when set, else ``production`` as soon as a
    ``DATABASE_URL`` is given and ``demo`` for the SQLite file under ``instance/`` that the demo uses."""
    chosen = os.environ.get("TICKETING_ENV", "").strip().lower()
    if chosen:
        if chosen not in ENVIRONMENTS:
            raise RuntimeError(f"TICKETING_ENV={chosen!r}: use 'demo' or 'production'.")
        return chosen
    return "production" if os.environ.get("DATABASE_URL") else "demo"


ENVIRONMENTS = ("demo", "production")
#: placeholder secrets that a production install must not run with
WEAK_SECRETS = {"", "changeme", "change-me", "secret", "dev", "development", "demo", "test", "secret_key"}


def check_production_settings(config: dict) -> None:
    """A production install refuses to start without a secret of its own: sessions, CSRF tokens and
    the ticket links are signed with it, and a secret generated on one host would differ on the next."""
    if config.get("TICKETING_ENV") != "production":
        return
    secret = config.get("SECRET_KEY")
    if config.get("SECRET_KEY_GENERATED") or not isinstance(secret, str) or secret.strip().lower() in WEAK_SECRETS:
        raise RuntimeError(
            "TICKETING_ENV is production (a DATABASE_URL is set) but SECRET_KEY is missing or a placeholder: "
            "set SECRET_KEY to a long random value, the same for every worker and host, e.g. "
            "SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))'). "
            "For a trial without one, set TICKETING_ENV=demo.")


def load_config() -> dict:
    inst = instance_path()
    env = environment()
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{inst / 'ticketing.sqlite3'}"
    key_file = os.environ.get("TICKET_SIGNING_KEY_FILE") or str(inst / "ticket_signing_key.pem")
    secret = os.environ.get("SECRET_KEY")
    return {
        "TICKETING_ENV": env,
        "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(database_url),
        # The demo makes its own secret once; production must be given one (check_production_settings).
        "SECRET_KEY": secret or (read_or_create_secret(inst / "secret_key") if env == "demo" else None),
        "SECRET_KEY_GENERATED": not secret,
        "BABEL_DEFAULT_LOCALE": os.environ.get("DEFAULT_LANGUAGE", "th"),
        "BABEL_DEFAULT_TIMEZONE": "Asia/Bangkok",
        "HOLD_MINUTES": int(os.environ.get("HOLD_MINUTES", 5)),
        "GATE_OPENS_MINUTES": int(os.environ.get("GATE_OPENS_MINUTES", 180)),
        "SEATING_MAX_BYTES": int(os.environ.get("SEATING_MAX_BYTES", 5_000_000)),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_BYTES", 20_000_000)),
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Outside the demo, session cookies go over HTTPS only (SESSION_COOKIE_SECURE=0 for a trial over HTTP).
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "1" if env == "production" else "0") == "1",
        "SESSION_COOKIE_HTTPONLY": True,
        # Failed sign-ins: counted in the database, or in Redis when RATELIMIT_STORAGE_URI names one.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI") or "ticketing+db://",
        "RATELIMIT_KEY_PREFIX": "ticketing",
        "LOGIN_LIMIT_PER_ACCOUNT": os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "10 per 15 minutes"),
        "LOGIN_LIMIT_PER_ADDRESS": os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "50 per 15 minutes"),
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are believed (0: none, the default).
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", 0)),
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
        # The online shop: with no STRIPE_SECRET_KEY it says online payment is unavailable.
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY", ""),
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE", ""),
        "STRIPE_WEBHOOK_TOLERANCE": int(os.environ.get("STRIPE_WEBHOOK_TOLERANCE", 300)),
        "SHOP_PROMPTPAY": os.environ.get("SHOP_PROMPTPAY", "1") == "1",
        "SHOP_HOLD_MINUTES": int(os.environ.get("SHOP_HOLD_MINUTES", 15)),
        "SHOP_CHECKOUT_MINUTES": int(os.environ.get("SHOP_CHECKOUT_MINUTES", 31)),
        "SHOP_MAX_SEATS": int(os.environ.get("SHOP_MAX_SEATS", 10)),
        #: "send my tickets again": requests an hour per e-mail address, and per client address
        "TICKETS_AGAIN_PER_ADDRESS": int(os.environ.get("TICKETS_AGAIN_PER_ADDRESS", 3)),
        "TICKETS_AGAIN_PER_CLIENT": int(os.environ.get("TICKETS_AGAIN_PER_CLIENT", 20)),
        #: the shop's seat map is drawn again once it is this old (shop.mapcache); 0: on every visit
        "SHOP_MAP_SECONDS": float(os.environ.get("SHOP_MAP_SECONDS", 1)),
        "TICKET_SIGNING_KEY_FILE": key_file,
        #: every ticket signing key after a rotation (``flask tickets rotate-key``); beside the key file by default
        "TICKET_KEYRING_FILE": os.environ.get("TICKET_KEYRING_FILE")
        or str(Path(key_file).with_name("ticket_signing_keys.json")),
        #: one JSON line per request on stderr (``ticketing.operations``); 0 turns it off
        "REQUEST_LOG": os.environ.get("REQUEST_LOG", "1") == "1",
    }
