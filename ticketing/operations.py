"""What an operator's tools need from every process: probes and request logs.

- ``GET /healthz``: the process is up and answering (no database work), for a process supervisor.
- ``GET /readyz``: the database answers too, else 503, for a load balancer that should stop sending
  requests to this worker meanwhile.
- Every request gets an id: the caller's ``X-Request-ID`` when it is a sane token (a reverse proxy's
  ``$request_id``), else a new one; it goes back in the response's ``X-Request-ID`` and into the
  request's log line, one JSON object per request on the ``ticketing.requests`` logger (stderr, which
  gunicorn and systemd collect). A path that carries a secret (a phone ticket's token) is logged as its
  route pattern instead.
"""
import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, current_app, g, jsonify, request
from sqlalchemy import inspect as sa_inspect, text
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
log = logging.getLogger("ticketing.requests")


def request_id() -> str:
    """This request's id (outside a request: empty)."""
    return g.get("request_id", "")


def _start():
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _path() -> str:
    """The path, or the route's pattern when a part of the path is a secret."""
    if request.url_rule is not None and any("token" in name for name in (request.view_args or {})):
        return request.url_rule.rule
    return request.path


def _finish(response):
    rid = g.get("request_id")
    if rid is None:  # a request that failed before _start
        return response
    response.headers["X-Request-ID"] = rid
    if not current_app.config.get("REQUEST_LOG", True):
        return response
    user_id = None
    user = g.get("_login_user")  # Flask-Login's user, only if the request loaded one
    if user is not None and not user.is_anonymous:
        # its identity key, not ``user.id``: a refused request was rolled back, which expired the user,
        # and reading an attribute would load it again only to write this line
        user_id = sa_inspect(user).identity[0]
    log.info(json.dumps({
        "event": "request", "request_id": rid, "method": request.method, "path": _path(),
        "endpoint": request.endpoint, "status": response.status_code,
        "duration_ms": round((time.perf_counter() - g.request_started) * 1000, 1),
        "user_id": user_id, "remote_addr": request.remote_addr,
        "bytes": response.calculate_content_length(),
    }, ensure_ascii=False))
    return response


def healthz():
    return jsonify(status="ok")


def readyz():
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return jsonify(status="unavailable", reason="database"), 503
    return jsonify(status="ready")


def init_operations(app: Flask) -> None:
    """Request ids, request logs and the two probes."""
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    log.disabled = False  # Alembic's logging setup (migrations/env.py) turns off loggers made before it
    app.before_request(_start)
    app.after_request(_finish)
    app.add_url_rule("/healthz", "healthz", healthz, methods=["GET"])
    app.add_url_rule("/readyz", "readyz", readyz, methods=["GET"])
