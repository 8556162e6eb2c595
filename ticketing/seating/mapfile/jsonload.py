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
        fail(_("not valid JSON: %(error)s at line %(line)s, column %(column)s",
               error=err.msg, line=err.lineno, column=err.colno))
    except ValueError as err:  # e.g. an integer with more digits than Python converts
        fail(_("not valid JSON: %(error)s", error=str(err)))


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
