"""The app's security machinery in one place: response headers, CSRF (Flask-WTF), rate limits (Flask-Limiter),
proxy headers. `init_security(app)` wires all of it; docs/security.md maps each piece to HIPAA and ASVS.

- Headers: ONE after_request (`_response_headers`) sets every security header on every answer; nothing
  else in the app sets them. Every answer is `Cache-Control: no-store` unless its view chose otherwise
  (only /assets does): API answers and pages carry patient data.
- CSRF: `csrf.protect()` is called by every dashboard blueprint (web.dashboard.security.protect) for
  each POST; the bearer-token APIs and the signed Twilio webhooks carry no cookie to forge.
- Rate limits, per client address (see `[web] trusted_proxies`): sign-in tries; failed bearer-token
  checks on the staff and patient APIs (only refusals count, so a client's working token is never
  slowed by its own traffic); every request of one patient app token. Counters live where
  `[web] ratelimit_storage_uri` says (memory:// is per process; docs/operations.md).
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from monitoring.tokens import token_hash

log = logging.getLogger("crswatch.security")
csrf = CSRFProtect()

# Limits (Flask-Limiter syntax); app.config may override each, e.g. a test that needs more tries.
LIMITS = {
    "SIGNIN_RATE_LIMIT": "20 per minute; 200 per day",  # POSTs to /signin from one address
    "BEARER_FAILURE_LIMIT": "20 per minute; 300 per day",  # refused bearer tokens from one address
    "PATIENT_APP_LIMIT": "120 per minute",  # requests per patient app token (or address without one)
}
# Only what the app serves itself: no CDN, no inline script, no inline style, no framing.
PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"  # JSON, TwiML, text: nothing to load or frame


def init_security(app: Flask) -> Limiter:
    web = app.config["CRS"]["web"]
    if web["trusted_proxies"]:
        hops = web["trusted_proxies"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    for key, value in LIMITS.items():
        app.config.setdefault(key, value)
    app.config.update(
        WTF_CSRF_CHECK_DEFAULT=False,  # each dashboard blueprint calls csrf.protect(); APIs use bearer tokens
        WTF_CSRF_TIME_LIMIT=web["session_hours"] * 3600,  # the token lives as long as a sign-in may
        RATELIMIT_HEADERS_ENABLED=False,  # Retry-After only on a 429 (_too_many), not on every answer
        RATELIMIT_STORAGE_URI=web["ratelimit_storage_uri"],
    )
    csrf.init_app(app)
    limiter = Limiter(get_remote_address, app=app, default_limits=[], on_breach=_breached)
    app.extensions["crswatch.limiter"] = limiter
    app.after_request(_response_headers)
    app.register_error_handler(429, _too_many)
    return limiter


def exempt(app: Flask, limiter: Limiter, when: Callable[[], bool]) -> None:
    """No rate limit applies to a request for which `when()` is true (a request filter), and Flask-Limiter's
    three per-request hooks (before, after, teardown) are not run for it at all: they would build the
    limiter's request context and resolve an empty set of limits for nothing (issue 19: about 5 context
    look-ups a text on the Twilio webhooks, web/sms.py `unlimited`). Call right after init_security."""
    limiter.request_filter(when)
    hooks: tuple[tuple[dict[Any, list[Any]], bool], ...] = (
        (app.before_request_funcs, False), (app.after_request_funcs, True), (app.teardown_request_funcs, False))
    for registered, passes_on in hooks:  # an after_request hook hands the response on
        registered[None] = [_unless(when, hook, passes_on) if _is_limiters(hook, limiter) else hook
                            for hook in registered.get(None, [])]


def _is_limiters(hook: Callable[..., Any], limiter: Limiter) -> bool:
    """A hook Flask-Limiter registered: one of its bound methods, or a partial of its class bound to it."""
    return getattr(hook, "__self__", None) is limiter or (
        isinstance(hook, functools.partial) and hook.args[:1] == (limiter,))


def _unless(when: Callable[[], bool], hook: Callable[..., Any], passes_on: bool = False) -> Callable[..., Any]:
    """`hook`, skipped when `when()`; `passes_on`: an after_request hook, which hands the response back."""
    def hooked(*args: Any) -> Any:
        if when():
            return args[0] if passes_on else None
        return hook(*args)
    return hooked


def limit_signin(limiter: Limiter, blueprint) -> None:
    limiter.limit(lambda: current_app.config["SIGNIN_RATE_LIMIT"], methods=["POST"], scope="signin")(blueprint)


def limit_bearer_failures(limiter: Limiter, blueprint) -> None:
    """Count only the refused (401) answers of `blueprint` against the client; past the limit, 429."""
    limiter.limit(lambda: current_app.config["BEARER_FAILURE_LIMIT"], scope="bearer-failures",
                  deduct_when=lambda response: response.status_code == 401)(blueprint)


def limit_patient_app(limiter: Limiter, blueprint) -> None:
    limiter.limit(lambda: current_app.config["PATIENT_APP_LIMIT"], key_func=_token_or_address,
                  scope="patient-app")(blueprint)


def _token_or_address() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "token:" + token_hash(token.strip())[:32]
    return "address:" + (get_remote_address() or "?")


def _breached(limit: RequestLimit) -> None:
    log.warning("rate limit %s reached by %s on %s %s", limit.limit, get_remote_address(), request.method,
                request.path)


def _too_many(exc):
    limit = getattr(getattr(exc, "limit", None), "limit", None)
    retry = {"Retry-After": str(limit.get_expiry())} if limit is not None else {}  # at most one window
    if request.path.startswith(("/api/", "/fhir/")):
        return jsonify({"error": "too many requests from this client; retry after the Retry-After seconds"}), 429, retry
    return render_template("error.html", title="Too many tries",
                           message="Too many tries from this address. Wait a minute, then try again."), 429, retry


# The security headers every answer carries, set below in one pass (issue 19: ten Headers.set a text, each
# a scan of the response's headers).
_FIXED_HEADERS = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                  ("Referrer-Policy", "same-origin"),
                  ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
                  ("Cross-Origin-Opener-Policy", "same-origin"))


def _response_headers(response):
    """Every security header of every answer, set here and nowhere else: each replaces a header of that
    name the view set (none does), Cache-Control only where the view set none."""
    headers = response.headers
    chosen = [("X-Request-Id", g.get("request_id", "")), *_FIXED_HEADERS,
              ("Content-Security-Policy", PAGE_POLICY if response.mimetype == "text/html" else DATA_POLICY)]
    if request.is_secure or current_app.config["CRS"]["sms"]["public_base_url"].startswith("https://"):
        chosen.append(("Strict-Transport-Security", "max-age=31536000"))
    present = {name.lower() for name, _ in headers.items()}
    for name, value in chosen:
        if name.lower() in present:
            headers[name] = value
        else:
            headers.add(name, value)
    if "cache-control" not in present:
        headers.add("Cache-Control", "no-store")  # patient data: never in a shared or disk cache
    return response
