"""Sign-in and sign-out at /signin and /signout; the idle warning's session check at /session; changing
one's own password at /account/password."""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for

from monitoring import staff as staff_module
from monitoring.clinic import ServiceError
from monitoring.signin import SigninRefused, sign_in
from monitoring.store import utcnow
from web.context import clinic
from web.dashboard.security import (
    current_user,
    idle_timeout,
    protect,
    safe_next,
    sign_in_as,
    sign_out,
)

bp = Blueprint("signin", __name__, template_folder="../templates")
protect(bp, public=("signin.signin",))


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    target = safe_next(request.values.get("next"), url_for("dashboard.index"))
    if request.method == "GET":
        if current_user() is not None:
            return redirect(target)
        return render_template("signin.html", title="Sign in", next=target, name="", error=None)
    name = request.form.get("name") or ""
    try:
        staff = sign_in(clinic(), name, request.form.get("password") or "", request.remote_addr, utcnow())
    except SigninRefused as refused:
        return render_template("signin.html", title="Sign in", next=target, name=name[:100],
                               error=refused.message), 401
    sign_in_as(staff.id)
    return redirect(target)


@bp.post("/signout")
def signout():
    sign_out()
    return redirect(url_for(".signin"))


@bp.get("/session")
def session_status():
    """For the idle warning (web/static/app.js): seconds until the idle timeout and the sign-in's end.
    Asking never counts as activity."""
    return jsonify(_status())


@bp.post("/session/keepalive")
def keepalive():
    """'Stay signed in' on the idle warning: this POST is activity, so the idle clock starts again."""
    return jsonify(_status())


def _status() -> dict:
    user, now = current_user(), utcnow()
    idle_left = idle_timeout() - (now - user.last_seen_at)
    return {"signed_in": True, "idle_seconds_left": max(0, int(idle_left.total_seconds())),
            "ends_in_seconds": max(0, int((user.expires_at - now).total_seconds()))}


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    """A staff member changes their own password (ASVS 2.1.5, 2.1.6): the current one first, checked and
    throttled like a sign-in; then every session of theirs ends and this browser gets a new one (3.3.3)."""
    user, errors = current_user(), {}
    if request.method == "POST":
        form = request.form
        new = form.get("new_password") or ""
        try:
            sign_in(clinic(), user.name, form.get("current_password") or "", request.remote_addr, utcnow())
        except SigninRefused:
            errors["current_password"] = "That is not your current password."
        if not errors and new != (form.get("new_password_again") or ""):
            errors["new_password_again"] = "The two new passwords differ."
        if not errors:
            try:
                staff_module.set_password(clinic(), user.name, new, actor=user.name)
            except ServiceError as error:
                errors["new_password"] = error.message
        if not errors:
            sign_in_as(user.id)
            flash("Password changed. Every other sign-in of yours has ended.", "ok")
            return redirect(url_for("dashboard.index"))
    return render_template("password.html", title="Change your password", errors=errors), 400 if errors else 200
