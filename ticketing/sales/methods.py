"""The payment methods' names, said once for the counter form, receipts, shift reports and the dashboard."""
from flask_babel import lazy_gettext as _l

METHOD_NAMES = {"cash": _l("Cash"), "transfer": _l("Bank transfer"), "promptpay": _l("PromptPay"),
                "complimentary": _l("Complimentary"), "card": _l("Card (online)")}
#: what a counter can take (cards are paid online only, through Stripe)
COUNTER_METHODS = ("cash", "transfer", "promptpay", "complimentary")


def method_name(method: str) -> str:
    return str(METHOD_NAMES.get(method, method))
