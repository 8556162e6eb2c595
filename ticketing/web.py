"""The home page: what each role can do next."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from .festivals.services import list_festivals

bp = Blueprint("web", __name__)


@bp.get("/")
@login_required
def home():
    return render_template("home.html", festivals=list_festivals(), user=current_user)
