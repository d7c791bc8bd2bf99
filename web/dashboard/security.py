"""Dashboard sessions, CSRF tokens, roles and secure headers, shared by every dashboard blueprint.

A session is Flask's signed cookie (HttpOnly, SameSite=Lax, Secure behind https; see app.py) holding
the staff id and a CSRF token. Every POST must carry the token in a `csrf_token` form field.
"""
from __future__ import annotations

import functools
import hmac
import secrets
from urllib.parse import urlsplit

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for

from monitoring.clinic import ServiceError
from monitoring.signin import SignedIn, signed_in_staff
from web.context import clinic

CSRF_FIELD = "csrf_token"
# Only what the app serves itself: no CDN, no inline script, no inline style, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def csrf_token() -> str:
    """This session's token (made on first use, so the sign-in form has one before anyone signs in)."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_ok() -> bool:
    expected = session.get("csrf")
    sent = request.form.get(CSRF_FIELD, "")
    return bool(expected) and bool(sent) and hmac.compare_digest(expected, sent)


def start_session(user: SignedIn) -> None:
    """A fresh session on sign-in (never reuse the anonymous one: session fixation)."""
    session.clear()
    session.permanent = True
    session["staff_id"] = user.id
    csrf_token()


def current_user() -> SignedIn | None:
    if "user" not in g:
        g.user = signed_in_staff(clinic(), session.get("staff_id"))
    return g.user


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site (no scheme, no host, no //evil.example)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def protect(bp: Blueprint, *, public: tuple[str, ...] = ()) -> None:
    """Every POST needs the CSRF token (400 without it); every view but `public` needs a signed-in user
    (else a redirect to sign-in); every answer gets the secure headers."""

    @bp.before_request
    def _guard():
        if request.method == "POST" and not csrf_ok():
            return render_template("error.html", title="Form expired",
                                   message="This form has expired or did not come from this site. "
                                           "Go back, reload the page and try again."), 400
        if request.endpoint in public:
            return None
        if current_user() is None:
            if request.method == "GET":
                return redirect(url_for("signin.signin", next=request.full_path.rstrip("?")))
            return redirect(url_for("signin.signin"))
        return None

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

    @bp.after_request
    def _headers(response):
        secure_headers(response)
        return response


def not_found_page():
    """The dashboard's own 404 page (also for a dashboard address no route matched, see init_app)."""
    return render_template("error.html", title="Not found", message="There is nothing at this address."), 404


def secure_headers(response):
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Cache-Control"] = "no-store"  # pages carry patient data
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    return response


def admin_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        user = current_user()
        if user is None or user.role != "admin":
            abort(403)
        return view(*args, **kwargs)
    return wrapped
