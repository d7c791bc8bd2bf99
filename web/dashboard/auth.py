"""Sign-in and sign-out at /signin and /signout."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for

from monitoring.signin import SigninRefused, sign_in
from web.context import clinic
from web.dashboard.security import current_user, protect, safe_next, start_session

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
        user = sign_in(clinic(), name, request.form.get("password") or "")
    except SigninRefused as refused:
        return render_template("signin.html", title="Sign in", next=target, name=name[:100],
                               error=refused.message), 401
    start_session(user)
    return redirect(target)


@bp.post("/signout")
def signout():
    session.clear()
    return redirect(url_for(".signin"))
