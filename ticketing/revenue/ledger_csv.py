"""The ledger as CSV, streamed: rows are fetched in batches and written one by one, so a 100,000-ticket
festival exports with the same memory as a small one."""
import csv
import io
from datetime import datetime

from sqlalchemy import select

from ..accounts.models import Organization
from ..extensions import db
from ..sales.models import Order
from ..ledger.models import LedgerEntry

HEADER = ["entry_id", "at_utc", "order_id", "session_id", "source", "kind", "organization_code", "amount_satang",
          "rule_version", "selling_organization_code", "payment_method", "share_kind", "basis_points",
          "fixed_satang"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def ledger_csv_rows(festival_id: int, starts_at: datetime, ends_at: datetime, batch: int = 2000):
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(HEADER)
    codes = dict(db.session.execute(select(Organization.id, Organization.code)).all())
    query = (select(LedgerEntry.id, LedgerEntry.at, LedgerEntry.order_id, LedgerEntry.session_id, LedgerEntry.source,
                    LedgerEntry.kind, LedgerEntry.organization_id, LedgerEntry.amount_satang, LedgerEntry.rule_version,
                    Order.organization_id, Order.payment_method, LedgerEntry.share_kind, LedgerEntry.basis_points,
                    LedgerEntry.fixed_satang)
             .join(Order, Order.id == LedgerEntry.order_id)
             .where(LedgerEntry.festival_id == festival_id, LedgerEntry.at >= starts_at, LedgerEntry.at < ends_at)
             .order_by(LedgerEntry.id).execution_options(yield_per=batch))
    for row in db.session.execute(query):
        writer.writerow([row[0], row[1].isoformat(), row[2], row[3], row[4], row[5], safe(codes.get(row[6], "")),
                         row[7], "" if row[8] is None else row[8], safe(codes.get(row[9], "")), row[10],
                         row[11] or "", "" if row[12] is None else row[12], "" if row[13] is None else row[13]])
        if buf.tell() > 64_000:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()
