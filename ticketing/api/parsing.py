"""How the API reads a request body: JSON too deep for the parser or with a number too long to convert is
refused as unreadable (400 ``bad_request``), and a NUL character in any text as a wrong value (422
``invalid`` naming the field), before any schema or service sees it. Every API blueprint is made from
:class:`Blueprint` here, so every endpoint reads its body this way."""
import json

import flask_smorest
from flask_babel import gettext as _
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

from ..web import first_nul


def _nested(path: tuple, message: str) -> dict:
    """``("buyer", "name")`` -> ``{"buyer": {"name": [message]}}``, as marshmallow names a field."""
    errors: dict | list = [message]
    for key in reversed(path or ("_schema",)):
        errors = {str(key): errors}
    return errors


class StrictParser(FlaskParser):
    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        try:
            data = core.parse_json(req.get_data(cache=True))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise  # webargs' own answer: an empty body is missing, anything else 400
        except (RecursionError, ValueError) as exc:  # nested too deep; an integer of more than 4,300 digits
            abort(400, exc=exc, messages={"json": ["Invalid JSON body."]})
        where = first_nul(data)
        if where is not None:
            abort(422, messages={"json": _nested(where, _("Text may not contain a NUL character."))})
        return data


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = StrictParser()

    def arguments(self, schema, *args, **kwargs):
        """As flask-smorest's, with a schema class made an instance once, here: webargs makes a new one on
        every request from a class, and marshmallow copies every declared field to make it (about 3 % of a
        sale's CPU in the server, by py-spy). Loading with a shared instance is safe: a load keeps no state."""
        return super().arguments(schema() if isinstance(schema, type) else schema, *args, **kwargs)
