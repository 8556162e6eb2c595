"""The audit log as a hash chain: each entry's link (``audit_chain``) carries the hash of the link
before it, so an entry edited, deleted or slipped in afterwards breaks the chain at that place.

**What is hashed.** ``link_hash`` below, and the same words in SQL in migration 0010: sha256 over
``audit/1`` and the link's seq, the previous link's hash, and every column of the entry (id, time,
user, organization, action, object, and the exact JSON text of ``before`` and ``after``), each
field written as ``<byte length>:<text>`` (``-`` for NULL) so that no two entries hash alike.
The time is the text ``YYYY-MM-DD HH:MM:SS.ffffff`` (UTC) on both databases.

**Who writes the links: the database, at commit.** Writing an entry stays one INSERT from Python
(a sale has a budget of round trips). The link is made by the database:

- PostgreSQL: a constraint trigger ``AFTER INSERT … DEFERRABLE INITIALLY DEFERRED`` runs as the
  entry's transaction commits. It takes a transaction-level advisory lock (the chain's one lock),
  reads the last link, and inserts the next one. The lock is held until that commit is complete and
  visible, so the next transaction's trigger, waiting on the lock, reads (with a fresh snapshot:
  READ COMMITTED, the app's isolation level) the link just written.
- SQLite: writers are serialized by the database itself (one write transaction at a time, holding
  its lock until commit, its snapshot the latest), so an ``AFTER INSERT`` trigger can make the link
  at once; it calls ``audit_link_hash``, this module's ``link_hash`` registered on every connection
  (``register_sqlite``).

**Why commit order, not id order.** Ids are handed out when a row is inserted; transactions commit
in another order. Chaining by id would make a transaction hash against an entry it cannot see yet
(uncommitted), or against one that is rolled back later. Chaining at commit, under one lock, makes
``seq`` the order in which entries became visible: a reader (``verify``, ``pg_dump``, a backup) sees
exactly links 1…N, never N+1 without N, and a rolled-back entry never had a link. The lock is held
only from the trigger to the end of the commit (one write and the WAL flush), not for the whole
transaction, and taken last, after every row lock the transaction holds, so it cannot deadlock with
them. A transaction run at REPEATABLE READ or SERIALIZABLE would read an old last link: its insert
then collides on ``seq`` (the primary key) and the transaction fails instead of forking the chain.

**What it proves.** ``verify`` recomputes every link: an edited entry, a deleted entry or link, an
entry added without a link, or a link added in the middle is reported at the first place it breaks.
Someone who can rewrite the whole chain from some point on (the database's owner) can make it
consistent again; the exports each organization keeps (``export_lines``) are what catches that:
``compare`` finds the first link of an export that the database no longer has.
"""
import hashlib
import json
from dataclasses import dataclass
from typing import Iterable, Iterator

from flask_babel import gettext as _
from sqlalchemy import Text, cast, event, func, select
from sqlalchemy.engine import Engine

from ..extensions import db
from ..timeutil import utcnow
from .models import AuditEntry, AuditLink

#: the hash of the link before the first
GENESIS = "0" * 64
HASH_FORMAT = "audit/1"
EXPORT_FORMAT = "candle-festival-audit/1"
#: the columns of an entry that its hash covers, in this order
ENTRY_FIELDS = ("id", "at", "user_id", "organization_id", "action", "object_type", "object_id", "before", "after")


def _field(value) -> str:
    if value is None:
        return "-"
    text = str(value)
    return f"{len(text.encode())}:{text}"


def link_hash(seq, prev_hash, entry_id, at, user_id, organization_id, action, object_type, object_id, before,
              after) -> str:
    """The hash of one link (the same as migration 0010's SQL)."""
    message = "|".join([HASH_FORMAT] + [_field(v) for v in (seq, prev_hash, entry_id, at, user_id, organization_id,
                                                             action, object_type, object_id, before, after)])
    return hashlib.sha256(message.encode()).hexdigest()


@event.listens_for(Engine, "connect")
def register_sqlite(dbapi_connection, _record=None) -> None:
    """Let SQLite's chain trigger call ``link_hash``, on every SQLite connection any engine opens (this
    module is loaded with the models, before the first connection)."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.create_function("audit_link_hash", 11, link_hash, deterministic=True)


def _at_text():
    """The entry's time as hashed: the same text on both databases (SQLite stores exactly this)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(AuditEntry.at, "YYYY-MM-DD HH24:MI:SS.US")
    return cast(AuditEntry.at, Text)


def _chain_query():
    """Every link in chain order with its entry's hashed texts (no entry: deleted)."""
    return (select(AuditLink.seq, AuditLink.prev_hash, AuditLink.hash, AuditLink.entry_id, AuditEntry.id,
                   _at_text().label("at"), AuditEntry.user_id, AuditEntry.organization_id, AuditEntry.action,
                   AuditEntry.object_type, AuditEntry.object_id, cast(AuditEntry.before, Text).label("before"),
                   cast(AuditEntry.after, Text).label("after"))
            .outerjoin(AuditEntry, AuditEntry.id == AuditLink.entry_id).order_by(AuditLink.seq)
            .execution_options(yield_per=2000))


def _entry_hash(row) -> str:
    return link_hash(row.seq, row.prev_hash, row.id, row.at, row.user_id, row.organization_id, row.action,
                     row.object_type, row.object_id, row.before, row.after)


@dataclass
class Verdict:
    """What ``verify`` found: the head of the chain, or the first broken link."""
    entries: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problem: str | None = None
    #: where it broke: the link's seq and the entry's id (either may be None)
    seq: int | None = None
    entry_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _link_problem(row, expected_seq: int, prev_hash: str) -> str | None:
    if row.seq != expected_seq:
        return _("Links %(first)s to %(last)s are missing: entries were deleted there.",
                 first=expected_seq, last=row.seq - 1)
    if row.prev_hash != prev_hash:
        return _("Link %(seq)s does not follow link %(before)s: an entry was inserted or removed there.",
                 seq=row.seq, before=row.seq - 1)
    if row.id is None:
        return _("Entry %(id)s (link %(seq)s) was deleted.", id=row.entry_id, seq=row.seq)
    if _entry_hash(row) != row.hash:
        return _("Entry %(id)s (link %(seq)s) does not match its hash: the entry or its link was changed after it "
                 "was written.", id=row.id, seq=row.seq)
    return None


def verify() -> Verdict:
    """Walk the whole chain and recompute every link; stop at the first one that is broken."""
    verdict = Verdict()
    with db.session.execute(_chain_query()) as rows:  # a server-side cursor on PostgreSQL: closed on return
        for row in rows:
            problem = _link_problem(row, verdict.head_seq + 1, verdict.head_hash)
            if problem:
                verdict.problem, verdict.seq, verdict.entry_id = problem, row.seq, row.entry_id
                return verdict
            verdict.entries += 1
            verdict.head_seq, verdict.head_hash = row.seq, row.hash
    unlinked = db.session.scalar(select(func.min(AuditEntry.id)).where(
        ~select(AuditLink.seq).where(AuditLink.entry_id == AuditEntry.id).exists()))
    if unlinked is not None:
        verdict.problem = _("Entry %(id)s is not in the chain: it was added behind the chain's back.", id=unlinked)
        verdict.entry_id = unlinked
    return verdict


def head() -> tuple[int, str]:
    """The last link's (seq, hash); (0, GENESIS) for an empty chain."""
    row = db.session.execute(select(AuditLink.seq, AuditLink.hash).order_by(AuditLink.seq.desc()).limit(1)).first()
    return (row.seq, row.hash) if row else (0, GENESIS)


# --- exports ------------------------------------------------------------------------------------

def export_lines(organization=None) -> Iterator[str]:
    """The chain as JSON Lines, to keep and compare later (``compare``): a header line, one line per link
    (``seq``, ``prev_hash``, ``hash`` and the entry with its hashed texts), then ``{"head": …}``.

    For one organization, entries that concern another organization carry only their link (seq and
    hashes, no content): the chain still checks end to end, and nobody reads another's business."""
    yield json.dumps({"format": EXPORT_FORMAT, "hash_format": HASH_FORMAT, "exported_at": utcnow().isoformat(),
                      "organization": None if organization is None else
                      {"id": organization.id, "code": organization.code}}, ensure_ascii=False) + "\n"
    seq, last = 0, GENESIS
    with db.session.execute(_chain_query()) as rows:
        for row in rows:
            line = {"seq": row.seq, "prev_hash": row.prev_hash, "hash": row.hash}
            if row.id is not None and (organization is None or row.organization_id in (None, organization.id)):
                line["entry"] = {name: getattr(row, name) for name in ENTRY_FIELDS}
            seq, last = row.seq, row.hash
            yield json.dumps(line, ensure_ascii=False) + "\n"
    yield json.dumps({"head": {"seq": seq, "hash": last}}) + "\n"


def _read_export(lines: Iterable[str]) -> Iterator[dict]:
    """The export's links, checked on their own as they are read: numbered from 1, each following the
    one before, each entry given in full matching its hash, and the head line the last link. Raises
    ValueError naming the first thing wrong."""
    it = iter(lines)
    try:
        header = json.loads(next(it))
    except (StopIteration, ValueError):
        raise ValueError(_("This is not an audit export (no header line)."))
    if not isinstance(header, dict) or header.get("format") != EXPORT_FORMAT:
        raise ValueError(_("This is not an audit export of this system (format %(format)s).",
                           format=str(header.get("format") if isinstance(header, dict) else header)[:40]))
    seq, last = 0, GENESIS
    for number, text in enumerate(it, start=2):
        try:
            line = json.loads(text)
            if "head" in line:
                if (line["head"]["seq"], line["head"]["hash"]) != (seq, last):
                    raise ValueError(_("The export's head does not match its last link."))
                return
            if line["seq"] != seq + 1 or line["prev_hash"] != last:
                raise ValueError(_("The export itself is broken at link %(seq)s.", seq=line["seq"]))
            entry = line.get("entry")
            if entry is not None and link_hash(line["seq"], line["prev_hash"],
                                               *(entry[name] for name in ENTRY_FIELDS)) != line["hash"]:
                raise ValueError(_("The export itself is broken at link %(seq)s.", seq=line["seq"]))
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError):
            raise ValueError(_("Line %(line)s of the export cannot be read.", line=number))
        seq, last = line["seq"], line["hash"]
        yield line
    raise ValueError(_("The export is cut short: it has no head line."))


def compare(lines: Iterable[str]) -> list[str]:
    """Compare an export kept earlier with the database: the export must check on its own, the
    database's chain must verify, and the database must still have every link of the export, the same.
    Returns the problems (none: the database still holds exactly what was exported, and maybe more)."""
    verdict = verify()
    problems = [] if verdict.ok else [verdict.problem]
    stored = db.session.execute(select(AuditLink.seq, AuditLink.hash, AuditLink.entry_id)
                                .order_by(AuditLink.seq).execution_options(yield_per=2000))
    try:
        for line in _read_export(lines):
            row = stored.fetchone()
            if row is None:
                problems.append(_("The database ends at link %(seq)s but the export goes further: entries were "
                                  "removed since the export was made.", seq=line["seq"] - 1))
                break
            if (row.seq, row.hash) != (line["seq"], line["hash"]):
                problems.append(_("Link %(seq)s differs from the export (entry %(id)s): the chain was rewritten "
                                  "from there since the export was made.", seq=line["seq"], id=row.entry_id))
                break
    except ValueError as err:
        problems.append(str(err))
    finally:
        stored.close()
    return problems
