"""Sign people in with their password, keep them signed in, and check roles.

A signed-in person is held in the session by name only; every request loads
them again from the log, so a changed role or office scope applies at once and
a deactivated person is signed out. Sign-in attempts are limited per address
(:mod:`.throttle`): after five refusals within a minute, the next is answered 429.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.exceptions import TooManyRequests
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from incidents.errors import IncidentsError
from incidents.permissions import Action, is_allowed
from web import get_incident_log
from web.pages.throttle import SignInThrottle

F = TypeVar("F", bound=Callable[..., Any])

THROTTLE_KEY = "sign_in_throttle"

login_manager = LoginManager()
login_manager.login_view = "pages_auth.sign_in"
login_manager.login_message = _l("Connectez-vous pour continuer.")
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"

bp = Blueprint("pages_auth", __name__)


class Person(UserMixin):  # type: ignore[misc]  # flask-login is untyped
    """A signed-in person: the plain dict the log returns, seen by Flask-Login."""

    def __init__(self, record: dict[str, Any]) -> None:
        self.record = record

    def get_id(self) -> str:
        return str(self.record["name"])

    @property
    def name(self) -> str:
        return str(self.record["name"])

    @property
    def role(self) -> str:
        return str(self.record["role"])

    @property
    def shown_name(self) -> str:
        return str(self.record.get("display_name") or self.record["name"])

    def may(self, action: Action) -> bool:
        """Tell whether the person's role may ever do the action."""
        return is_allowed(self.record, action)


@login_manager.user_loader  # type: ignore[untyped-decorator]
def load_person(name: str) -> Person | None:
    """Load the person named in the session; ``None`` signs out the inactive."""
    try:
        record = get_incident_log().get_user(name)
    except IncidentsError:
        return None
    return Person(record) if record["is_active"] else None


def signed_in_person() -> dict[str, Any]:
    """Return the signed-in person as the plain dict the domain expects."""
    person = cast("Person", current_user)
    return person.record


def allowed(action: Action) -> Callable[[F], F]:
    """Let a page open only to a signed-in person whose role may do ``action``.

    Anyone else is sent to the sign-in page; a signed-in person whose role may
    never do it gets 403.
    """

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.may(action):
                abort(403)
            return view(*args, **kwargs)

        return cast("F", wrapper)

    return decorator


class SignInForm(FlaskForm):  # type: ignore[misc]  # flask-wtf is untyped
    name = StringField(
        _l("Identifiant"),
        validators=[InputRequired(_l("Saisissez votre identifiant.")), Length(max=64)],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    password = PasswordField(
        _l("Mot de passe"),
        validators=[
            InputRequired(_l("Saisissez votre mot de passe.")),
            Length(max=256),
        ],
        render_kw={"autocomplete": "current-password"},
    )


@bp.route("/connexion", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    """Ask for a name and password, and sign the person in."""
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"), 303)
    form = SignInForm()
    throttle = sign_in_throttle()
    # Behind a trusted proxy (`incidents serve --trusted-proxy`), the visitor's.
    address = request.remote_addr or "unknown"
    account = request.form.get("name", "") if request.method == "POST" else ""
    if request.method == "POST":
        wait = throttle.retry_after(address, account)
        if wait is not None:
            raise TooManyRequests(retry_after=wait)
    if form.validate_on_submit():
        try:
            record = get_incident_log().authenticate(
                form.name.data.strip(), form.password.data
            )
        except IncidentsError:
            # The same answer for an unknown name, a wrong password or an
            # inactive person: nobody learns which names exist.
            throttle.refused(address, account)
            form.password.errors.append(_("Identifiant ou mot de passe incorrect."))
        else:
            session.clear()
            session.permanent = True  # Ends after PERMANENT_SESSION_LIFETIME.
            login_user(Person(record))
            return redirect(safe_next(request.args.get("next")), 303)
    # A refused form is shown again, with its messages, as any page (200).
    return render_template("pages/sign_in.html", form=form)


@bp.post("/deconnexion")
def sign_out() -> ResponseReturnValue:
    """Sign the person out (a form post, so that a link cannot do it)."""
    language = session.get("lang")
    logout_user()
    session.clear()
    if language:
        session["lang"] = language
    flash(_("Vous êtes déconnecté."), "info")
    return redirect(url_for("pages_auth.sign_in"), 303)


def sign_in_throttle() -> SignInThrottle:
    """Return the application's count of refused sign-ins."""
    throttle: SignInThrottle = current_app.extensions[THROTTLE_KEY]
    return throttle


def safe_next(target: str | None, fallback: str | None = None) -> str:
    """Return ``target`` if it is a path of this site, else ``fallback`` (home).

    Never send someone elsewhere after a form: not to another scheme or host,
    nor through a backslash or a control character, which browsers drop or
    read as a slash ("/\\t/host" is opened as "//host").
    """
    if target and target.isprintable():
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
            and "\\" not in target
        ):
            return target
    return fallback or url_for("pages.home")
