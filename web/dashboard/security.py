"""Dashboard sessions (Flask-Login over monitoring.sessions), CSRF (Flask-WTF), roles; shared by every dashboard
blueprint through `protect(bp)`.

The signed cookie (HttpOnly, SameSite=Lax, Secure behind https; see app.py) holds a random session token
and the CSRF secret; the session itself is a `staff_sessions` row, so ending it in the database ends it
in every browser at once. A request with the header `X-Crswatch-Background: 1` (the dashboard's own
self-refresh and session checks in web/static/app.js) is served but is not the person's activity: an
unattended dashboard signs out after `[web] idle_minutes` although it keeps refreshing.
"""
from __future__ import annotations

import functools
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import LoginManager, UserMixin, logout_user
from flask_login import current_user as _login_user
from flask_wtf.csrf import CSRFError

from monitoring import sessions
from monitoring.clinic import ServiceError
from web.context import clinic
from web.security import csrf

CSRF_FIELD = "csrf_token"
BACKGROUND_HEADER = "X-Crswatch-Background"
NOT_ACTIVITY = {"signin.session_status"}  # endpoints that never count as activity, header or not
ENDED_MESSAGES = {
    "idle": "You were signed out after {idle} minutes without activity. Sign in to go back to the page you were on.",
    "lifetime": "Your sign-in reached its {hours}-hour limit. Sign in again to go on.",
    "password": "Your password was changed, so every sign-in of yours ended. Sign in with the new password.",
    "role": "Your role changed, so you were signed out. Sign in again.",
    "revoked": "Your access was revoked.",
}
login_manager = LoginManager()
login_manager.session_protection = None  # no IP binding: a nurse's phone changes networks; idle timeout instead


class User(UserMixin):
    """The signed-in staff member; `get_id()` is the session token Flask-Login keeps in the cookie."""

    def __init__(self, signed_in: sessions.SignedIn, token: str):
        self.id, self.name, self.role = signed_in.id, signed_in.name, signed_in.role
        self.session_id, self.expires_at, self.last_seen_at = (signed_in.session_id, signed_in.expires_at,
                                                               signed_in.last_seen_at)
        self._token = token

    def get_id(self) -> str:
        return self._token


def init_login(app: Flask) -> None:
    # Templates call current_user() (the jinja global below), so Flask-Login's context processor stays off.
    login_manager.init_app(app, add_context_processor=False)


def idle_timeout() -> timedelta:
    return timedelta(minutes=current_app.config["CRS"]["web"]["idle_minutes"])


def session_lifetime() -> timedelta:
    return timedelta(hours=current_app.config["CRS"]["web"]["session_hours"])


def background() -> bool:
    """A request the page made by itself (refresh, session check): not the person's activity."""
    return request.headers.get(BACKGROUND_HEADER) == "1" or request.endpoint in NOT_ACTIVITY


@login_manager.user_loader
def _load_user(token: str) -> User | None:
    resumed = sessions.resume(clinic(), token, idle_timeout(), activity=not background())
    if isinstance(resumed, sessions.Ended):
        g.session_ended = resumed.reason
        return None
    return User(resumed, token)


def sign_in_as(staff_id: int) -> User:
    """A new database session for `staff_id`, held by this browser from now on (a fresh cookie: no fixation)."""
    from flask import session
    from flask_login import login_user

    token = sessions.start(clinic(), staff_id, session_lifetime(), request.remote_addr, request.user_agent.string)
    user = User(sessions.resume(clinic(), token, idle_timeout()), token)
    session.clear()  # the anonymous session and its CSRF secret go; Flask-WTF makes a new one
    login_user(user)
    session.permanent = True
    return user


def sign_out() -> None:
    """Sign-out ends every session of this person, in every browser (docs/security.md)."""
    from flask import session

    user = current_user()
    if user is not None:
        sessions.end_all(clinic(), user.id, "signout")
    logout_user()
    session.clear()


def current_user() -> User | None:
    return _login_user if _login_user.is_authenticated else None


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site (no scheme, no host, no //evil.example)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def _return_to() -> str | None:
    """Where sign-in should lead back to: this page, or for a form sent after the session ended, its page."""
    if request.method == "GET" and not background():
        return request.full_path.rstrip("?")
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path:
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return None


def _to_signin():
    reason = g.pop("session_ended", None)
    if reason in ENDED_MESSAGES:
        web = current_app.config["CRS"]["web"]
        flash(ENDED_MESSAGES[reason].format(idle=web["idle_minutes"], hours=web["session_hours"]), "error")
    if reason is not None:
        logout_user()  # the cookie forgets the dead token
    target = safe_next(_return_to(), "")
    return redirect(url_for("signin.signin", next=target) if target else url_for("signin.signin"))


def protect(bp: Blueprint, *, public: tuple[str, ...] = ()) -> None:
    """Every POST needs the CSRF token (Flask-WTF; 400 without it); every view but `public` needs a signed-in
    user (else sign-in, which leads back here)."""

    @bp.before_request
    def _guard():
        if request.method == "POST":
            csrf.protect()
        if request.endpoint in public:
            return None
        if current_user() is None:
            return _to_signin()
        return None

    @bp.errorhandler(CSRFError)
    def _csrf_refused(_exc):
        return render_template("error.html", title="Form expired",
                               message="This form has expired or did not come from this site. "
                                       "Go back, reload the page and try again."), 400

    @bp.errorhandler(403)
    def _forbidden(_exc):
        return render_template("error.html", title="Not allowed",
                               message="This page is for clinic admins. Ask an admin if you need a change here."), 403

    @bp.errorhandler(404)
    def _not_found(_exc):
        return not_found_page()

    @bp.errorhandler(ServiceError)
    def _service_error(exc: ServiceError):
        return render_template("error.html", title="Cannot do that", message=exc.message), exc.status


def not_found_page():
    """The dashboard's own 404 page (also for a dashboard address no route matched, see init_app)."""
    return render_template("error.html", title="Not found", message="There is nothing at this address."), 404


def admin_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        user = current_user()
        if user is None or user.role != "admin":
            abort(403)
        return view(*args, **kwargs)
    return wrapped
