"""VIP seating and ticketing for the Ubon Ratchathani Candle Festival."""
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .config import check_production_settings, load_config
from .extensions import babel, compress, csrf, db, login_manager, migrate
from .operations import init_operations

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"),
                instance_path=load_config()["INSTANCE_PATH"])
    app.config.from_mapping(load_config())
    if test_config:
        app.config.update(test_config)
    check_production_settings(app.config)  # production refuses to start without its own secret
    init_operations(app)  # request ids and logs first, so every request has them; /healthz, /readyz

    from .i18n import register_template_helpers, select_locale
    from .forms import use_our_messages_for_wtforms

    # Pages, SVG maps, JSON, scripts and styles go out compressed (brotli, else gzip) for counters on a weak
    # network; PDFs, spreadsheets and pictures are compressed already and left alone (not in
    # COMPRESS_MIMETYPES). Registered first, so that it runs after every other after_request hook.
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "gzip"])
    compress.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(ROOT / "translations"))
    login_manager.init_app(app)
    from .accounts.throttle import limiter
    limiter.init_app(app)  # failed sign-ins, counted in the database or Redis (accounts.throttle)
    if app.config.get("TRUSTED_PROXIES"):  # the client's address and scheme as the proxies in front saw them
        from werkzeug.middleware.proxy_fix import ProxyFix
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    register_template_helpers(app)
    use_our_messages_for_wtforms()  # WTForms' own messages in Thai too

    from . import models  # noqa: F401  (register every table)
    from .accounts import views as accounts_views
    from .audit import views as audit_views
    from .api import register_api
    from .festivals import views as festival_views
    from .gate import admin as gate_admin
    from .gate import views as gate_views
    from .inventory import views as inventory_views
    from .sales import desk as orders_desk
    from .sales import views as counter_views
    from .seating import views as seating_views
    from .tickets import views as ticket_views
    from .revenue import views as revenue_views
    from .shop import admin as shop_admin
    from .shop import views as shop_views
    from . import web

    web.guard_requests(app)  # before any route is added: ids in URLs, readable JSON, no NUL
    register_api(app)
    for bp in (web.bp, accounts_views.bp, festival_views.bp, seating_views.bp, inventory_views.bp,
               counter_views.bp, orders_desk.bp, ticket_views.bp, revenue_views.bp, gate_admin.bp, gate_views.bp,
               audit_views.bp,
               shop_views.bp, shop_views.hooks, shop_admin.bp):
        app.register_blueprint(bp)

    web.register_error_pages(app)
    web.register_security_headers(app)
    from .cli import register_cli
    register_cli(app)
    return app


#: psycopg prepares a statement the second time it sees it (its default: the sixth), so that a statement
#: is planned afresh at most once after its connection forgot it (``rawsql.KeepsPrepared`` keeps them
#: through a ROLLBACK, but a failed statement is forgotten).
PREPARE_THRESHOLD = 1


@event.listens_for(Engine, "connect")
def _connection_settings(dbapi_connection, _record):
    """PostgreSQL: keep prepared statements through a rollback (``rawsql.KeepsPrepared``) and prepare
    early (``PREPARE_THRESHOLD``). SQLite: WAL lets readers work while a counter writes; foreign keys are
    off by default."""
    if type(dbapi_connection).__module__.startswith("psycopg"):
        from .rawsql import KeepsPrepared
        if type(dbapi_connection) is KeepsPrepared.__base__:
            dbapi_connection.__class__ = KeepsPrepared  # the same object, prepared statements kept at ROLLBACK
        dbapi_connection.prepare_threshold = PREPARE_THRESHOLD
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()
