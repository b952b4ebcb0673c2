"""Forms for registration, login, password change, profile and account decisions."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, Regexp

from matchmaker.forms import BaseForm
from matchmaker.passwords import MAX_LENGTH, MIN_LENGTH

REQUIRED = _l("This field is required.")


def language_choices() -> list[SelectChoice]:
    return [SelectChoice("id", "Bahasa Indonesia"), SelectChoice("en", "English")]


def password_rules() -> list[Any]:
    """The validators of every new password (registration, change, reset)."""
    return [DataRequired(REQUIRED),
            Length(MIN_LENGTH, MAX_LENGTH,
                   _l("The password must be %(min)d to %(max)d characters long.",
                      min=MIN_LENGTH, max=MAX_LENGTH))]


def repeat_password_field(label: Any) -> Any:
    """The "type it again" field next to a new ``password``."""
    return PasswordField(label, validators=[
        DataRequired(REQUIRED), EqualTo("password", _l("The passwords do not match."))])


class LoginForm(BaseForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED)])
    remember = BooleanField(_l("Keep me logged in on this device"))


class RegisterForm(BaseForm):
    role = RadioField(
        _l("I represent"),
        choices=[SelectChoice("city_official", _l("A city or regency government (Pemda)")),
                 SelectChoice("vendor", _l("A technology company (vendor)"))],
        validators=[InputRequired(REQUIRED)],
    )
    name = StringField(_l("Full name"), validators=[DataRequired(REQUIRED), Length(2, 120)])
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(REQUIRED), Email(_l("Enter a valid e-mail address.")),
                    Length(max=254)],
    )
    regency = StringField(
        _l("Kabupaten/kota"),
        description=_l("Type to search, then pick your kabupaten/kota from the list."),
        validators=[Length(max=80)],
    )
    company = StringField(_l("Company name"), validators=[Length(max=150)])
    password = PasswordField(
        _l("Password"),
        description=_l("At least %(n)d characters.", n=MIN_LENGTH),
        validators=password_rules(),
    )
    confirm = repeat_password_field(_l("Repeat the password"))
    language = SelectField(_l("Language"), choices=language_choices(), default="id")

    def validate(self, extra_validators=None):  # type: ignore[no-untyped-def]
        ok = super().validate(extra_validators)
        if self.role.data == "city_official" and not (self.regency.data or "").strip():
            self.regency.errors = [*self.regency.errors, str(REQUIRED)]
            ok = False
        if self.role.data == "vendor" and len((self.company.data or "").strip()) < 2:
            self.company.errors = [*self.company.errors, str(REQUIRED)]
            ok = False
        return ok


class ChangePasswordForm(BaseForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(REQUIRED)])
    password = PasswordField(_l("New password"), validators=password_rules())
    confirm = repeat_password_field(_l("Repeat the new password"))


class ForgotPasswordForm(BaseForm):
    """Only the shape of an address is checked: any address an account has (one created from
    the command line, say) must be able to ask for a link."""

    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(REQUIRED), Length(max=254),
                    Regexp(r"^[^@\s]+@[^@\s]+$", message=_l("Enter a valid e-mail address."))],
    )


class ResetPasswordForm(BaseForm):
    """The new password chosen through a reset link: the same rules as everywhere else."""

    password = PasswordField(
        _l("New password"), description=_l("At least %(n)d characters.", n=MIN_LENGTH),
        validators=password_rules(),
    )
    confirm = repeat_password_field(_l("Repeat the new password"))


class ProfileForm(BaseForm):
    name = StringField(_l("Full name"), validators=[DataRequired(REQUIRED), Length(2, 120)])
    language = SelectField(_l("Language"), choices=language_choices())
    email_notifications = BooleanField(_l("Send me notifications by e-mail"))


class LanguageForm(BaseForm):
    language = SelectField(_l("Language"), choices=language_choices())
    extra_fields = frozenset({"next"})


class RejectAccountForm(BaseForm):
    reason = StringField(
        _l("Reason"), validators=[DataRequired(REQUIRED), Length(3, 500)]
    )

