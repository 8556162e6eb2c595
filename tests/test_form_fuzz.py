"""Every form of every page, posted or searched with one field at a time holding text far longer than any
column or a number beyond any integer column, gets a clear answer, never a 500. The forms are found as a user
finds them: each role opens every page it may (the permissions matrix's world and URLs) and submits each form
there, the other fields holding their value on the page or a plausible one.

On PostgreSQL a string longer than its ``varchar`` column, or an integer beyond its column, ends the statement
with an error, so a service that forgets a check answers 500 there (SQLite would store it); the suite runs on
both."""
import re
from html.parser import HTMLParser

from conftest import login
from test_permissions_matrix import ROLES, _routes, _url, world  # noqa: F401 (world: fixture)

LONG = "ก" * 5000
#: a plausible value for each kind of field a user types into, so that only the long one is wrong
PLAUSIBLE = {"text": "ก", "search": "ก", "textarea": "ก", "email": "a@example.com", "tel": "0812345678",
             "password": "long-enough-password-1", "url": "https://example.com", "number": "1",
             "date": "2027-07-19", "datetime-local": "2027-07-19T18:00", "time": "18:00"}
BY_NAME = {"year": "2027"}
#: what goes into one field at a time: text longer than any column, a number beyond any integer column
ODD = (LONG, "9" * 30)
#: forms left out: signing out ends the client's session (every later page would be the sign-in page)
LEFT_OUT = {"/logout"}


class Forms(HTMLParser):
    """The forms of a page: (method, action, {name: value} of the fields as the page fills them, {name: kind}
    of those a user types into)."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select = [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = ((a.get("method") or "get").lower(), a.get("action") or "", {}, {})
            self.forms.append(self._form)
        if self._form is None or not a.get("name") or "disabled" in a:
            return
        name, fields, typed = a["name"], self._form[2], self._form[3]
        kind = "textarea" if tag == "textarea" else (a.get("type") or "text").lower() if tag == "input" else tag
        if kind in PLAUSIBLE:
            typed[name] = kind
            if a.get("value") and kind != "password":
                fields[name] = a["value"]  # an edit form's current value: plausible by definition
        elif kind in ("checkbox", "radio"):
            if "checked" in a:
                fields[name] = a.get("value", "on")
            elif kind == "radio":
                fields.setdefault(name, a.get("value", "on"))
        elif kind in ("hidden", "submit"):
            fields.setdefault(name, a.get("value", ""))
        elif kind == "select":
            self._select = name
        elif tag == "option" and self._select:
            if "selected" in a or self._select not in fields:
                fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _pages(app, params) -> list[str]:
    return sorted(_url(rule, params) for method, rule in _routes(app)
                  if method == "GET" and not rule.startswith(("/api/", "/static/")) and not re.search(
                      r"\.(pdf|svg|png|csv|json|jsonl|js|xlsx|<fmt>)$", rule))


def test_every_form_answers_odd_values_without_a_500(app, world):  # noqa: F811
    pages = _pages(app, world.params)
    posted, failures = set(), []
    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            login(client, role)
        for page in pages:
            answer = client.get(page)
            if "/login" in answer.headers.get("Location", "") and role != "anonymous":
                login(client, role)  # a form before signed this user out (a new password): sign in again
                answer = client.get(page)
            if answer.status_code != 200 or answer.mimetype != "text/html":
                continue
            parser = Forms()
            parser.feed(answer.get_data(as_text=True))
            for method, action, fields, typed in parser.forms:
                target = action.split("?")[0] or page
                if target in LEFT_OUT:
                    continue
                plausible = {name: fields.get(name) or BY_NAME.get(name) or PLAUSIBLE[kind]
                             for name, kind in typed.items()}
                for name, odd in ((n, odd) for n in typed for odd in ODD):
                    values = {**fields, **plausible, name: odd}
                    try:  # under TESTING an error propagates instead of answering 500
                        status = (client.get(action or page, query_string=values) if method == "get"
                                  else client.post(action or page, data=values)).status_code
                    except Exception as err:  # noqa: BLE001 (each is listed below)
                        status = f"{type(err).__name__}: {str(err).splitlines()[0][:160]}"
                    posted.add((method, target, name))
                    if not isinstance(status, int) or status >= 500:
                        failures.append(f"{role} {method.upper()} {target} {name}={odd[:12]}… (from {page}): {status}")
    assert not failures, "\n".join(failures)
    # the forms were found: posted ones and search (GET) ones
    assert len({target for method, target, _name in posted if method == "post"}) >= 20, sorted(posted)
    assert len({target for method, target, _name in posted if method == "get"}) >= 4, sorted(posted)
