"""The migrations build exactly the models' schema, on SQLite and on PostgreSQL."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine

from conftest import require_postgres_url, reset_database
from ticketing import create_app
from ticketing.config import sqlalchemy_url
from ticketing.extensions import db


def _diff_after_upgrade(url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url), "TESTING": True})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        db.engine.dispose()
    return diff


def test_sqlite_migrations_match_models(tmp_path):
    assert _diff_after_upgrade(f"sqlite:///{tmp_path / 'm.sqlite3'}") == []


def test_postgresql_migrations_match_models(request):
    url = require_postgres_url()
    if "TEST_DATABASE_URL" in __import__("os").environ:
        # The suite's own schema lives in this database (the template every test copies); check a copy
        # of it instead of dropping it (a template must stay idle to be copied).
        engine = create_engine(sqlalchemy_url(request.getfixturevalue("fresh_url")))
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), db.metadata) == []
        engine.dispose()
        return
    reset_database(url)
    assert _diff_after_upgrade(url) == []
