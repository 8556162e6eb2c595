"""Flask extensions, created unbound and initialised in create_app()."""
from flask_babel import Babel
from flask_compress import Compress
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import make_transient_to_detached

# Stable constraint names, so migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# One session per request: objects need not be reloaded after its single commit.
db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING), session_options={"expire_on_commit": False})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
compress = Compress()


def as_loaded(*objects) -> None:
    """Make new objects, whose rows the caller has just read or written with Core, what a query would have
    loaded: persistent in the request's session, with nothing to flush. The hot paths (a sale, an API
    sign-in) use it to skip the ORM's unit of work and row loading while handing on ordinary objects."""
    for obj in objects:
        make_transient_to_detached(obj)
    db.session.add_all(objects)


def rollback_keeping(*objects) -> None:
    """Roll the session's transaction back but keep ``objects``, which it did not change, loaded as they
    are (a rollback expires everything the session holds, and the next read of, say, the signed-in user
    would load it again)."""
    kept = [obj for obj in objects if obj in db.session]
    for obj in kept:
        db.session.expunge(obj)
    db.session.rollback()
    db.session.add_all(kept)
