"""The webhook's signature check (issue 19): one HMAC over the URL as configured answers a real text, and every
other form the SDK accepts (a port written out, the overrides fragment) still passes through the SDK's own
validate; anything not signed with the auth token is refused and changes nothing. Twilio's webhooks skip the
rate limiter's per-request work (no limit applies to them)."""
from urllib.parse import urlencode

from conftest import BASE_URL, PATIENT_PHONE, auth, texts_to

from monitoring.store import connect


def inbound_rows(config) -> list:
    return connect(config["database"]["path"]).execute(
        "SELECT body, processed_at FROM messages WHERE direction = 'in' ORDER BY id").fetchall()


def test_signed_over_the_configured_url_is_processed(phone, client, admin_token, patient, config):
    response = phone.text("98.6")
    assert response.status_code == 200
    rows = inbound_rows(config)
    assert [row["body"] for row in rows] == ["98.6"] and rows[0]["processed_at"] is not None
    assert [m for m in texts_to(client, admin_token, PATIENT_PHONE) if m["kind"] == "reply"]


def test_signed_with_the_port_written_out_still_passes_through_the_sdk(phone, patient, config):
    # BASE_URL is https without a port; Twilio's back end has been seen signing it with :443 (the SDK tries both)
    with_port = BASE_URL.replace("monitor.example.org", "monitor.example.org:443") + "/sms/inbound"
    assert phone.text("98.7", url=with_port).status_code == 200
    assert [row["body"] for row in inbound_rows(config)] == ["98.7"]


def test_signed_with_another_token_or_a_garbled_header_is_refused(client, admin_token, patient, config):
    from twilio.request_validator import RequestValidator

    params = {"From": PATIENT_PHONE, "To": "+15555550123", "Body": "o2 80", "MessageSid": "SM" + "7" * 32}
    forged = RequestValidator("not-the-auth-token").compute_signature(BASE_URL + "/sms/inbound", params)
    for signature in (forged, forged[:-2] + "\u00e9=", ""):
        response = client.post("/sms/inbound", data=urlencode(params), content_type="application/x-www-form-urlencoded",
                               headers={"X-Twilio-Signature": signature}, base_url=BASE_URL)
        assert response.status_code == 403
    assert inbound_rows(config) == []
    assert client.get("/api/v1/alerts", headers=auth(admin_token)).get_json() == []


def test_only_twilio_webhooks_skip_the_rate_limiter(app):
    from web.sms import unlimited

    for path, skipped in (("/sms/inbound", True), ("/sms/status", True), ("/voice/page/1", True),
                          ("/api/v1/patients", False), ("/me/readings", False), ("/signin", False)):
        with app.test_request_context(path, method="POST"):
            assert unlimited() is skipped, path


def test_a_webhook_keeps_no_session_and_the_dashboard_still_does(phone, client, patient, config):
    """Twilio's webhooks get Flask's null session (no signer, no cookie): a text with a cookie sent along is
    processed and answered without a Set-Cookie; the dashboard's sign-in page still keeps its session."""
    client.set_cookie("session", "not-a-signed-session", domain="monitor.example.org")
    response = phone.text("98.6")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert [row["body"] for row in inbound_rows(config)] == ["98.6"]
    from flask import session

    with client.application.test_request_context("/sms/inbound", method="POST", base_url=BASE_URL):
        assert not session.get("_user_id")
        try:
            session["x"] = 1
        except RuntimeError as refused:  # Flask's NullSession: "the session is unavailable"
            assert "session is unavailable" in str(refused)
        else:
            raise AssertionError("a webhook could write a session")
    with client.application.test_request_context("/dashboard/", base_url=BASE_URL):
        session["x"] = 1  # the dashboard's requests keep a real session
        assert session["x"] == 1


def test_the_rate_limiter_does_no_work_for_a_twilio_webhook_and_still_runs_elsewhere(app):
    """Flask-Limiter's per-request hooks are not run for a webhook (issue 19): they build its request context
    and find no limit; the other paths still go through them (their limits: tests/test_signin_security.py)."""
    for path, skipped in (("/sms/inbound", True), ("/voice/page/1", True), ("/api/v1/alerts", False),
                          ("/api/v1/me", False)):
        with app.test_request_context(path, method="POST", base_url=BASE_URL) as context:
            app.preprocess_request()
            assert hasattr(context, "_limiter_request_context") is not skipped, path
            response = app.process_response(app.response_class("", status=200))
            assert response.headers["X-Content-Type-Options"] == "nosniff"  # the security headers all the same


def test_flask_asks_once_whether_a_view_is_a_coroutine_function_and_still_tells_them_apart(app):
    """CrswatchFlask.ensure_sync remembers the plain functions (issue 19); an async one is still wrapped (or
    refused where Flask's async extra is not installed), however often it is asked."""
    def plain():
        return "plain"

    async def coroutine():
        return "async"

    assert app.ensure_sync(plain) is plain and app.ensure_sync(plain) is plain
    for _ in range(2):
        try:
            wrapped = app.ensure_sync(coroutine)
        except RuntimeError as refused:  # no asgiref: Flask says to install the async extra
            assert "async" in str(refused)
        else:
            assert wrapped is not coroutine and wrapped() == "async"
