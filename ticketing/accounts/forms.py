from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Optional
from wtforms.widgets import CheckboxInput, ListWidget


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired()],
                           render_kw={"autocapitalize": "none", "autocorrect": "off", "autocomplete": "username",
                                      "spellcheck": "false"})
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class OrganizationForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired()])
    kind = SelectField(_l("Kind"), choices=[("member", _l("Member organization")),
                                           ("central", _l("Central fund"))])
    name_th = StringField(_l("Name in Thai"))
    name_en = StringField(_l("Name in English"))
    position = IntegerField(_l("Display order"), validators=[Optional()])
    promptpay_id = StringField(_l("PromptPay ID of its account (phone, tax ID or e-wallet ID)"))
    transfer_custody = SelectField(_l("Bank transfers and PromptPay taken at its counter go to"), choices=[
        ("central", _l("the central fund's account")), ("own", _l("this organization's own account"))])
    is_example = BooleanField(_l("Example placeholder (to be edited)"))
    active = BooleanField(_l("Active"), default=True)


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired()])
    display_name = StringField(_l("Display name"))
    roles = SelectMultipleField(_l("Roles"), choices=[
        ("admin", _l("Administrator")), ("treasurer", _l("Treasurer")),
        ("seller", _l("Seller")), ("gate", _l("Gate staff"))],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    organization_id = SelectField(_l("Organization"), coerce=lambda v: int(v) if v else None)
    password = PasswordField(_l("Password"), description=_l("Leave empty to keep the current password."))
    active = BooleanField(_l("Active"), default=True)


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("New password"), validators=[DataRequired()], render_kw={"autocomplete": "new-password"})
    repeated = PasswordField(_l("New password again"), validators=[DataRequired()],
                             render_kw={"autocomplete": "new-password"})
