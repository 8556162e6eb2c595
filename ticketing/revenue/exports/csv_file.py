"""The statement as CSV, in two formats.

- **For people** (``statement_csv_people``, ``/revenue/statement.csv``): UTF-8 with a byte-order mark
  (so Excel on a Thai Windows reads the Thai), headings in the reader's language, amounts in baht with
  two decimals. One table per organization line (and the online shop's, its seller's columns empty),
  then each organization's shares by kind with the rule version and rate, then the central fund with
  its reconciliation.
- **For machines** (``statement_csv``, ``/revenue/statement.csv?format=machine``): no BOM, English
  headings (``CSV_HEADER``), integer satang; one row per organization (record_type "organization"),
  one per share line ("share": share_kind, rule_version, basis_points or fixed_satang, amount_satang),
  then one for the online shop ("online": orders with no selling organization, organization_code
  "online"; tickets, gross, refunds, net sales and the payment processor's fees in fees_satang) and one
  for the central fund ("central", with an empty organization_code).
"""
import csv
import io

from flask_babel import gettext as _

from ...i18n import in_both
from ...money import format_thb
from ..ledger_csv import safe
from ..statements import Statement
from .common import central_rows, kind_words, online_name, rate_words, whole


CSV_HEADER = ["record_type", "organization_code", "name_th", "name_en", "tickets_sold", "complimentary_tickets",
              "tickets_voided", "gross_satang", "refunds_satang", "net_sales_satang", "commission_satang",
              "operator_fee_satang", "share_satang", "custody_satang", "net_to_central_satang",
              "share_kind", "rule_version", "basis_points", "fixed_satang", "amount_satang",
              "shares_to_organizations_satang", "central_share_satang", "fees_satang", "expenses_satang",
              "net_satang", "receivable_satang", "payable_satang", "reconciled_satang"]
ORGANIZATION_FIELDS = ["tickets_sold", "complimentary_tickets", "tickets_voided", "gross_satang", "refunds_satang",
                       "net_sales_satang", "commission_satang", "operator_fee_satang", "share_satang",
                       "custody_satang", "net_to_central_satang"]
ONLINE_FIELDS = ["tickets_sold", "tickets_voided", "gross_satang", "refunds_satang", "net_sales_satang", "fees_satang"]
CENTRAL_FIELDS = ["gross_satang", "refunds_satang", "net_sales_satang", "custody_satang",
                  "shares_to_organizations_satang", "central_share_satang", "fees_satang", "expenses_satang",
                  "net_satang", "receivable_satang", "payable_satang", "reconciled_satang"]
BOM = "\ufeff"


def _share_row(code: str, share) -> dict:
    return {"record_type": "share", "organization_code": code, "share_kind": share.kind,
            "rule_version": "" if share.rule_version is None else whole(share.rule_version),
            "basis_points": "" if share.basis_points is None else whole(share.basis_points),
            "fixed_satang": "" if share.fixed_satang is None else whole(share.fixed_satang),
            "amount_satang": whole(share.amount_satang)}


def statement_csv(statement: Statement) -> str:
    """The machine format. Amounts are integer satang; a field that does not apply is empty. Text that
    a spreadsheet would run as a formula gets a leading apostrophe."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_HEADER, restval="")
    writer.writeheader()
    for org in statement.organizations:
        row = {"record_type": "organization", "organization_code": safe(org.code), "name_th": safe(org.name_th),
               "name_en": safe(org.name_en)}
        row.update({key: whole(getattr(org, key)) for key in ORGANIZATION_FIELDS})
        writer.writerow(row)
        for share in org.shares:
            writer.writerow(_share_row(safe(org.code), share))
    if statement.online is not None:
        online_th, online_en = online_name()
        row = {"record_type": "online", "organization_code": statement.online.code, "name_th": safe(online_th),
               "name_en": safe(online_en)}
        row.update({key: whole(getattr(statement.online, key)) for key in ONLINE_FIELDS})
        writer.writerow(row)
    if statement.central is not None:
        central_th, central_en = in_both("Central fund")
        row = {"record_type": "central", "organization_code": "", "name_th": safe(central_th),
               "name_en": safe(central_en)}
        row.update({key: whole(getattr(statement.central, key)) for key in CENTRAL_FIELDS})
        writer.writerow(row)
        for share in statement.central.shares:
            writer.writerow(_share_row("", share))
    return buf.getvalue()


def statement_csv_people(statement: Statement, lang: str) -> str:
    """The format for people, in ``lang`` ("th" or "en"): baht with two decimals, a BOM first."""
    pick = 0 if lang == "th" else 1
    buf = io.StringIO()
    buf.write(BOM)
    writer = csv.writer(buf)
    writer.writerow([_("Settlement statement"), safe(statement.festival_th if pick == 0 else statement.festival_en)])
    writer.writerow([])
    writer.writerow([_("Code"), _("Organization"), _("Tickets sold"), _("Complimentary seats"), _("Tickets voided"),
                     _("Sales (baht)"), _("Refunded (baht)"), _("Net sales (baht)"), _("Commission as seller (baht)"),
                     _("Operator fee (baht)"), _("Share earned (baht)"), _("Money held (baht)"),
                     _("To remit to the central fund (baht)")])
    for org in statement.organizations:
        writer.writerow([safe(org.code), safe(org.name_th if pick == 0 else org.name_en), whole(org.tickets_sold),
                         whole(org.complimentary_tickets), whole(org.tickets_voided)]
                        + [format_thb(whole(getattr(org, key))) for key in (
                            "gross_satang", "refunds_satang", "net_sales_satang", "commission_satang",
                            "operator_fee_satang", "share_satang", "custody_satang", "net_to_central_satang")])
    online = statement.online
    if online is not None:  # no seller's share, held by the central fund: those columns stay empty
        writer.writerow([online.code, online_name()[pick], whole(online.tickets_sold), "", whole(online.tickets_voided)]
                        + [format_thb(whole(getattr(online, key))) for key in (
                            "gross_satang", "refunds_satang", "net_sales_satang")] + ["", "", "", "", ""])
    writer.writerow([])
    writer.writerow([_("Code"), _("Organization"), _("Kind of share"), _("Rule and rate"), _("Amount (baht)")])
    for org in statement.organizations:
        for share in org.shares:
            writer.writerow([safe(org.code), safe(org.name_th if pick == 0 else org.name_en),
                             kind_words(share.kind)[pick], rate_words(share)[pick], format_thb(whole(share.amount_satang))])
    if statement.central is not None:
        central = in_both("Central fund")[pick]
        for share in statement.central.shares:
            writer.writerow(["", central, kind_words(share.kind)[pick], rate_words(share)[pick],
                             format_thb(whole(share.amount_satang))])
        writer.writerow([])
        writer.writerow([central, _("Amount (baht)")])
        for label, satang, _strong in central_rows(statement.central):
            writer.writerow([label[pick], format_thb(whole(satang))])
    return buf.getvalue()
