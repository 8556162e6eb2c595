"""Command-line interface: ``flask --app wsgi <command>``."""
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale
from flask_migrate import upgrade
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from .accounts import services as accounts
from .accounts.models import ApiToken, User
from .errors import ServiceError
from .extensions import db
from .festivals.models import Festival
from .handling import transaction
from .inventory.sessions import import_map
from .seating.mapfile import MapError, parse_map

users_cli = AppGroup("users", help="Users and API tokens.")
tickets_cli = AppGroup("tickets", help="Ticket PDFs and signing keys.")
revenue_cli = AppGroup("revenue", help="Revenue split, ledger and statements.")
seating_cli = AppGroup("seating", help="Seating map files.")
audit_cli = AppGroup("audit", help="The tamper-evident audit log: verify, export, compare.")
shop_cli = AppGroup("shop", help="The online shop: reconciliation with Stripe.")
lang_option = click.option("--lang", type=click.Choice(["th", "en"]), default="th", show_default=True,
                           help="Language of the messages.")


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


@click.command("demo")
@click.option("--sales", "orders", type=click.IntRange(0, 5000), default=0, show_default=True,
              help="also simulate a counter day: this many orders by the demo sellers (a few voided)")
def demo_command(orders):
    """Bring the schema up to date and load the demo festival (safe to run twice)."""
    from .demo import load_demo
    from .demo.simulate import simulate_day
    from .festivals.services import list_festivals

    upgrade()
    logins = load_demo()
    if orders:
        festival = list_festivals()[0]
        with click.progressbar(length=orders, label="simulated orders") as bar:
            done = simulate_day(festival, orders, progress=bar.update)
        click.echo(f"Simulated {done['orders']} orders ({done['tickets']} tickets), {done['voided']} voided.")
    click.echo("Demo festival loaded. Logins (username / password):")
    for username, password in logins.items():
        click.echo(f"  {username:<10} {password}")
    click.echo("Start the service (for example `gunicorn -k gthread -w 2 --threads 8 -b 127.0.0.1:8000 wsgi:app`) "
               "and open http://127.0.0.1:8000")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(["admin", "treasurer", "seller", "gate"]))
@click.option("--organization", help="organization code (required for sellers)")
@click.password_option()
def users_create(username, roles, organization, password):
    """Create a user (e.g. the first admin of a production install)."""
    from .accounts.models import Organization

    org_id = None
    if organization:
        org_id = db.session.scalar(select(Organization.id).where(Organization.code == organization))
        if org_id is None:
            _fail(f"unknown organization code: {organization}")
    try:
        with transaction():
            accounts.save_user(None, None, username=username, roles=list(roles), organization_id=org_id,
                               password=password)
    except ServiceError as err:
        _fail(f"{err.message} {' '.join(str(v) for v in err.details.values())}")
    click.echo(f"created {username}")


def _user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        _fail(f"no such user: {username}")
    return user


@users_cli.command("token")
@click.argument("username")
@click.option("--days", type=click.IntRange(1, 3650), help="the token stops working after this many days "
              "(default: it works until revoked)")
def users_token(username, days):
    """Create an API token for USERNAME and print it (it is shown only once)."""
    with transaction():
        token = accounts.issue_token(None, _user(username), days=days)
    click.echo(token)


@users_cli.command("revoke-token")
@click.argument("username")
@click.option("--prefix", help="revoke only the token starting with this prefix")
def users_revoke_token(username, prefix):
    """Revoke USERNAME's API tokens (all, or the one with --prefix)."""
    rows = db.session.scalars(select(ApiToken).where(ApiToken.user_id == _user(username).id,
                                                     ApiToken.revoked_at.is_(None))).all()
    rows = [r for r in rows if not prefix or r.prefix.startswith(prefix)]
    with transaction():
        for row in rows:
            accounts.revoke_token(None, row.id)
    click.echo(f"revoked {len(rows)} token(s)")


def _read_plan(path: str):
    raw = Path(path).read_bytes() if Path(path).is_file() else None
    if raw is None:
        _fail(f"{path}: no such file")
    return parse_map(raw, max_bytes=current_app.config["SEATING_MAX_BYTES"])


@seating_cli.command("validate")
@click.argument("path")
@lang_option
def seating_validate(path, lang):
    """Check a seating map file; print one line per problem and exit 1 if there is any."""
    with force_locale(lang):
        try:
            plan = _read_plan(path)
        except MapError as err:
            for problem in err.problems:
                click.echo(str(problem))
            sys.exit(1)
    click.echo(f"ok: {len(plan.seats)} seats, {len(plan.categories)} categories, {len(plan.stands)} stands")


@seating_cli.command("import")
@click.argument("path")
@click.option("--festival", "festival_id", type=int, required=True)
@click.option("--replace", is_flag=True, help="replace the festival's map (only while nothing is sold or held)")
@lang_option
def seating_import(path, festival_id, replace, lang):
    """Load a seating map file into a festival (all or nothing)."""
    with force_locale(lang):
        festival = db.session.get(Festival, festival_id)
        if festival is None:
            _fail(f"no festival with id {festival_id}")
        try:
            plan = _read_plan(path)
            with transaction():
                import_map(None, festival, plan, replace=replace)
        except MapError as err:
            for problem in err.problems:
                click.echo(str(problem), err=True)
            sys.exit(1)
        except ServiceError as err:
            _fail(err.message)
    click.echo(f"imported {len(plan.seats)} seats into festival {festival_id}")


@tickets_cli.command("pdf")
@click.option("--session", "session_id", type=int, required=True)
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, writable=True))
@click.option("--layout", type=click.Choice(["a6", "80mm"]), default="a6", show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="processes drawing tickets  [default: every core]")
def tickets_pdf(session_id, out_path, layout, workers):
    """Every live ticket of a session in one PDF (for printing in bulk), drawn on every core, with a progress bar."""
    from .festivals.models import FestivalSession
    from .tickets.bulk import live_ticket_count, session_pdf

    if db.session.get(FestivalSession, session_id) is None:
        _fail(f"no session with id {session_id}")
    total = live_ticket_count(session_id)
    with open(out_path, "wb") as out, click.progressbar(length=total, label="tickets") as bar:
        written = session_pdf(session_id, out, layout, progress=bar.update, workers=workers)
    click.echo(f"{written} tickets written to {out_path}")


@tickets_cli.command("public-key")
@click.option("--all", "every", is_flag=True, help="every accepted key, each after a line '# key N'")
def tickets_public_key(every):
    """Print the public key gate devices use to verify ticket codes offline (the current one, or --all)."""
    from .tickets.codes import public_pem
    from .tickets.services import keyring

    ring = keyring()
    if not every:
        click.echo(public_pem(ring.signing_key), nl=False)
        return
    for kid, pem in ring.public_pems().items():
        click.echo(f"# key {kid}" + (" (current)" if kid == ring.current else ""))
        click.echo(pem, nl=False)


@tickets_cli.command("rotate-key")
def tickets_rotate_key():
    """Make a new ticket signing key the current one. Codes signed before keep scanning (every key in the
    keyring is accepted); every worker and host sharing the keyring file signs with the new key from its
    next request."""
    from .tickets.services import rotate_key

    try:
        ring = rotate_key()
    except ValueError as err:
        _fail(str(err))
    click.echo(f"key {ring.current} now signs new tickets; accepted keys: "
               f"{', '.join(str(k) for k in sorted(ring.keys))}")


@tickets_cli.command("retire-key")
@click.argument("key_id", type=click.IntRange(0, 15))
def tickets_retire_key(key_id):
    """Stop accepting KEY_ID (codes it signed no longer scan; reissue those tickets first)."""
    from .tickets.services import retire_key

    try:
        ring = retire_key(key_id)
    except ValueError as err:
        _fail(str(err))
    click.echo(f"key {key_id} retired; accepted keys: {', '.join(str(k) for k in sorted(ring.keys))}")


@tickets_cli.command("reissue")
@click.argument("ticket_id")
def tickets_reissue(ticket_id):
    """Give a ticket a new code (lost phone); the old code is revoked."""
    from .tickets.services import reissue

    try:
        with transaction():
            ticket = reissue(None, ticket_id)
    except ServiceError as err:
        _fail(err.message)
    click.echo(f"ticket {ticket.id} is now issue {ticket.issue_no}")


@revenue_cli.command("check")
@lang_option
def revenue_check(lang):
    """Verify every money invariant; print each mismatch and exit 1 if there is any."""
    from .revenue.check import problems

    with force_locale(lang):
        found = problems()
    for problem in found:
        click.echo(problem)
    if found:
        sys.exit(1)
    click.echo("ok: ledger = payments - refunds per order, per organization and in total; statements add up")


@audit_cli.command("verify")
@lang_option
def audit_verify(lang):
    """Recompute every link of the audit chain; name the first broken one and exit 1."""
    from flask_babel import gettext as _

    from .audit.chain import verify

    with force_locale(lang):
        verdict = verify()
        if not verdict.ok:
            click.echo(verdict.problem)
            sys.exit(1)
        click.echo(_("ok: %(n)s entries chained; head %(seq)s %(hash)s", n=verdict.entries, seq=verdict.head_seq,
                     hash=verdict.head_hash))


@audit_cli.command("export")
@click.argument("out_path", type=click.Path(dir_okay=False, writable=True))
@click.option("--organization", help="organization code: other organizations' entries carry only their hashes")
def audit_export(out_path, organization):
    """Write the audit chain with its head hash (JSON Lines) for an organization to keep."""
    from .accounts.models import Organization
    from .audit.chain import export_lines

    org = None
    if organization:
        org = db.session.scalar(select(Organization).where(Organization.code == organization))
        if org is None:
            _fail(f"unknown organization code: {organization}")
    last = ""
    with open(out_path, "w", encoding="utf-8") as out:
        for line in export_lines(org):
            out.write(line)
            last = line
    click.echo(f"{out_path}: {last.strip()}")


@audit_cli.command("compare")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@lang_option
def audit_compare(path, lang):
    """Compare an export kept earlier with the database; name the first difference and exit 1."""
    from flask_babel import gettext as _

    from .audit.chain import compare

    with force_locale(lang), open(path, encoding="utf-8") as lines:
        problems = compare(lines)
        for problem in problems:
            click.echo(problem)
        if problems:
            sys.exit(1)
        click.echo(_("ok: the database still holds every link of the export, unchanged."))


@click.command("backup")
@click.argument("out_path", type=click.Path(dir_okay=False, writable=True))
def backup_command(out_path):
    """Back the database up to OUT_PATH while the service runs (SQLite: online backup; PostgreSQL: pg_dump)."""
    from .backup import BackupError, backup

    try:
        backup(current_app.config["SQLALCHEMY_DATABASE_URI"], Path(out_path))
    except BackupError as err:
        _fail(str(err))
    click.echo(f"backup written to {out_path} ({Path(out_path).stat().st_size} bytes)")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
def restore_command(path, yes):
    """Replace the database with the backup PATH (stop the service first), then check it."""
    from .audit.chain import verify
    from .backup import BackupError, restore

    if not yes:
        click.confirm("This replaces everything in the database with the backup. Go on?", abort=True)
    db.session.remove()
    db.engine.dispose()  # no connection of ours may hold the old database open
    try:
        restore(current_app.config["SQLALCHEMY_DATABASE_URI"], Path(path))
    except BackupError as err:
        _fail(str(err))
    click.echo(f"restored {path}")
    try:
        verdict = verify()
        click.echo(f"audit chain: ok, {verdict.entries} entries" if verdict.ok else f"audit chain: {verdict.problem}")
    except SQLAlchemyError:  # a backup from before the chain (migration 0010)
        db.session.rollback()
        click.echo("audit chain: not checked (run `flask --app wsgi db upgrade` first)")


@shop_cli.command("reconcile")
@click.option("--from", "first", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="first Ubon day, YYYY-MM-DD")
@click.option("--to", "last", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="last Ubon day, YYYY-MM-DD (included)")
@lang_option
def shop_reconcile(first, last, lang):
    """Compare the online orders of the days FROM to TO with Stripe's payments and refunds: one line per
    difference and a summary; exit 1 when there is a difference, 2 when Stripe is not configured or
    cannot be reached (or the dates are wrong)."""
    from flask_babel import gettext as _

    from .money import format_thb
    from .shop import stripe_gateway
    from .shop.admin import day_bounds
    from .shop.reconcile import reconcile

    with force_locale(lang):
        if not stripe_gateway.enabled():
            click.echo(_("Online payment is not configured (STRIPE_SECRET_KEY): there is nothing at Stripe to "
                         "compare with."), err=True)
            sys.exit(2)
        if last < first:  # a usage error (2), never taken for a difference (1)
            raise click.BadParameter(_("The end date must not be before the start date."), param_hint="--to")
        try:
            result = reconcile(*day_bounds(first.date(), last.date()))
        except ServiceError as err:
            click.echo(err.message, err=True)
            sys.exit(2)

        def baht(satang):
            return "-" if satang is None else format_thb(satang)
        for d in result.differences:
            click.echo(_("%(kind)s %(reference)s order %(order)s: ours %(ours)s, Stripe %(stripe)s baht: %(what)s",
                         kind=d.kind, reference=d.reference, order=(d.order_id or "-")[:8].upper(),
                         ours=baht(d.ours_satang), stripe=baht(d.stripe_satang), what=d.what))
        click.echo(_("%(n)d differences; Stripe listed %(payments)d payments and %(refunds)d refunds from %(first)s "
                     "to %(last)s.", n=len(result.differences), payments=result.payments, refunds=result.refunds,
                     first=first.date().isoformat(), last=last.date().isoformat()))
        if result.differences:
            sys.exit(1)


def register_cli(app) -> None:
    app.cli.add_command(tickets_cli)
    app.cli.add_command(revenue_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(seating_cli)
    app.cli.add_command(shop_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
