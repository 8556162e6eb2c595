"""Stage 1, the file itself: size (before anything is decoded), encoding, JSON syntax, nesting,
and keys given twice (which ``json.loads`` would silently resolve to the last value)."""
from __future__ import annotations

import json
import re

from flask_babel import gettext as _

from .spec import ProblemList, fail

#: 17 "[" or "{" in a row, whitespace aside, is deeper than any map (a map never opens more than
#: 2 in a row); the check does not skip strings, but no name or label is made of 17 brackets
_OPENER_RUN = re.compile(r"[\[{](?:\s*[\[{]){16}")


def read_text(raw: bytes | str, max_bytes: int) -> str:
    """The file as text, refused if it is larger than ``max_bytes``, not UTF-8, or empty."""
    if isinstance(raw, str):
        size = len(raw) if len(raw) > max_bytes else len(raw.encode("utf-8", "surrogatepass"))
    else:
        size = len(raw)
    if size > max_bytes:
        fail(_("the file is larger than the limit of %(limit)s bytes", limit=f"{max_bytes:,}"))
    if isinstance(raw, str):
        text = raw.removeprefix("\ufeff")
    else:
        try:
            text = bytes(raw).decode("utf-8-sig")
        except UnicodeDecodeError as err:
            fail(_("the file is not UTF-8 text (bad byte at offset %(offset)s)", offset=err.start))
    if not text.strip():
        fail(_("the file is empty"))
    return text


class _NotANumber(ValueError):
    """NaN and Infinity: Python's json accepts them, JSON does not, and they break geometry."""


class _RepeatedKeys(dict):
    """A JSON object in which a key appears twice; json.loads would silently keep the last value."""
    repeated: list[str]


def _object_with_unique_keys(pairs):
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    marked = _RepeatedKeys(obj)
    seen: set[str] = set()
    marked.repeated = [k for k, _v in pairs if k in seen or seen.add(k)]
    return marked


def _reject_constant(name):
    raise _NotANumber(name)


def load_json(text: str):
    """The parsed JSON value; objects with a repeated key are marked for ``duplicate_key_problems``."""
    too_deep = _("the data is nested deeper than a seating map allows")
    if _OPENER_RUN.search(text):  # cheap: refuses [[[[… bombs before the parser sees them
        fail(too_deep)
    try:
        return json.loads(text, object_pairs_hook=_object_with_unique_keys, parse_constant=_reject_constant)
    except RecursionError:  # deep nesting the pre-check cannot see, such as {"a":{"a":{…
        fail(too_deep)
    except _NotANumber as err:
        fail(_("not valid JSON: %(value)s is not a number JSON allows", value=str(err)))
    except json.JSONDecodeError as err:
        fail(_("the file is not valid JSON at line %(line)s, character %(column)s: %(error)s",
               error=_syntax_words(err.msg), line=err.lineno, column=err.colno))
    except ValueError:  # an integer with more digits than Python converts
        fail(_("the file is not valid JSON: a number has far too many digits"))


def _syntax_words(parser_message: str) -> str:
    """What Python's JSON parser found, in the user's language (its own text is English)."""
    words = {
        "Expecting value": _("a value is missing here (or there is a comma too many, or text without quotes)"),
        "Expecting ',' delimiter": _("a comma is missing between two entries"),
        "Expecting ':' delimiter": _("a colon is missing after a field name"),
        "Expecting property name enclosed in double quotes":
            _('a field name in double quotes is expected here (or there is a comma before "}")'),
        "Unterminated string starting at": _("a text is not closed with a double quote"),
        "Invalid control character at": _("a text contains a line break or a tab; write \\n or \\t instead"),
        "Invalid \\escape": _("a backslash (\\) in a text is not followed by a valid escape"),
        "Invalid \\uXXXX escape": _("a \\u escape needs four hexadecimal digits"),
        "Extra data": _("more text follows the end of the map"),
    }
    return words.get(parser_message, _("the JSON syntax is wrong here"))


def duplicate_key_problems(doc, problems: ProblemList) -> None:
    stack = [(doc, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, _RepeatedKeys):
            for key in value.repeated:
                problems.add(path, _('the field "%(field)s" is given twice', field=key))
        if isinstance(value, dict):
            stack.extend((v, f"{path}.{k}" if path else k) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(value))
