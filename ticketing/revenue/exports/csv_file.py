"""The statement as CSV: one row per organization, then the central fund; integer satang."""
import csv
import io

from ...i18n import in_both
from ..ledger_csv import safe
from ..statements import Statement
from .common import whole


CSV_HEADER = ["record_type", "organization_code", "name_th", "name_en", "tickets_sold", "complimentary_tickets",
              "tickets_voided", "gross_satang", "refunds_satang", "share_satang", "custody_satang",
              "net_to_central_satang", "shares_to_organizations_satang", "central_share_satang", "fees_satang",
              "expenses_satang", "net_satang"]
ORGANIZATION_FIELDS = ["tickets_sold", "complimentary_tickets", "tickets_voided", "gross_satang", "refunds_satang",
                       "share_satang", "custody_satang", "net_to_central_satang"]
CENTRAL_FIELDS = ["gross_satang", "refunds_satang", "custody_satang", "shares_to_organizations_satang",
                  "central_share_satang", "fees_satang", "expenses_satang", "net_satang"]


def statement_csv(statement: Statement) -> str:
    """One row per organization (record_type "organization"), then one for the central fund ("central",
    with an empty organization_code). Amounts are integer satang; a field that does not apply is empty.
    Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_HEADER, restval="")
    writer.writeheader()
    for org in statement.organizations:
        row = {"record_type": "organization", "organization_code": safe(org.code), "name_th": safe(org.name_th),
               "name_en": safe(org.name_en)}
        row.update({key: whole(getattr(org, key)) for key in ORGANIZATION_FIELDS})
        writer.writerow(row)
    if statement.central is not None:
        central_th, central_en = in_both("Central fund")
        row = {"record_type": "central", "organization_code": "", "name_th": safe(central_th),
               "name_en": safe(central_en)}
        row.update({key: whole(getattr(statement.central, key)) for key in CENTRAL_FIELDS})
        writer.writerow(row)
    return buf.getvalue()
