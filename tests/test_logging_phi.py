"""No secrets, phone numbers or patient names in the logs at INFO (what a log shipper would carry off).

An acceptance-like flow runs with every logger captured at INFO: enrollment, check-ins, texts with red
flags, an unreadable text, a bad signature, an unknown sender, HELP, the nurse's ACK, a resolve, a
retried and a failed delivery, and ticks; then the log is searched for what must never be in it.
"""
from __future__ import annotations

import logging
from datetime import timedelta

import responses
from conftest import AUTH_TOKEN, NURSES, add_staff, auth, enroll

NAME = "Zelda Quixote-Marchbanks"
PHONE = "+15555550166"
STRANGER = "+15555550155"


def test_logs_at_info_carry_no_phi_or_secrets(app, client, runner, phone, clock, caplog):
    caplog.set_level(logging.INFO)
    admin = add_staff(runner, "Ada Admin", "admin")
    nurse = add_staff(runner, "Nora Nurse", "nurse", NURSES[0])
    enrolled = enroll(client, admin, name=NAME, phone=PHONE, baseline_systolic=124)
    runner.invoke(args=["tick"])
    patient_token = enrolled["patient_token"]

    for body in ("101.3", "took 1000 mg tylenol", "temp 38.9 bp 84/50 o2 85 confused", "no se", "HELP"):
        clock.shift(timedelta(minutes=7))
        assert phone.text(body, sender=PHONE).status_code == 200
    assert phone.text("o2 80", sender=PHONE, signed=False).status_code == 403
    phone.text("hello?", sender=STRANGER)
    client.post("/api/v1/me/readings", json={"spo2": 86}, headers=auth(patient_token))
    client.get("/api/v1/me", headers=auth("pt_wrong"))
    client.get(f"/api/v1/patients/{enrolled['id']}", headers=auth(nurse))
    runner.invoke(args=["tick"])
    phone.text("ACK", sender=NURSES[0])
    alert = client.get("/api/v1/alerts?status=all", headers=auth(admin)).get_json()[0]
    client.post(f"/api/v1/alerts/{alert['id']}/resolve", json={"note": f"called {NAME}"}, headers=auth(admin))
    for _ in range(4):  # silence: reminders, missed check-ins, the missed_checkins page and its re-page
        clock.shift(timedelta(minutes=40))
        runner.invoke(args=["tick"])
    _failed_deliveries(app, runner, clock, phone)

    log = "\n".join(f"{record.name} {record.levelname} {record.getMessage()} {record.exc_text or ''}"
                    for record in caplog.records)
    assert caplog.records, "the flow logged nothing: the capture is not working"
    secrets = {"patient name": NAME, "surname": "Quixote", "patient phone": PHONE, "phone digits": PHONE[2:],
               "stranger phone": STRANGER, "nurse phone": NURSES[0], "Twilio auth token": AUTH_TOKEN, "Twilio account SID": "AC" + "0" * 32,
               "staff token": admin, "nurse token": nurse, "patient token": patient_token}
    leaked = {what: value for what, value in secrets.items() if value in log}
    assert not leaked, f"leaked into the logs: {sorted(leaked)}\n{log}"


def _failed_deliveries(app, runner, clock, phone):
    """Twilio refusing a text (retryable, then permanent) logs the failure without the number or the body."""
    from messages.gateways import TwilioGateway

    app.extensions["crswatch.gateway"] = TwilioGateway("AC" + "0" * 32, AUTH_TOKEN)
    url = f"https://api.twilio.com/2010-04-01/Accounts/{'AC' + '0' * 32}/Messages.json"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, url, status=503, json={"code": 20503, "message": f"busy sending to {PHONE}"})
        clock.shift(timedelta(minutes=40))
        phone.text("98.6", sender=PHONE)
        assert "retrying=1" in runner.invoke(args=["tick"]).output
        mock.replace(responses.POST, url, status=400,
                     json={"code": 21211, "message": f"The 'To' number {PHONE} is not valid"})
        clock.shift(timedelta(minutes=20))
        output = runner.invoke(args=["tick"]).output
        failed = int(output.split("failed=")[1].split()[0])
        # the patient's text, then each page about it as every phone fails in turn; never a storm
        assert 1 <= failed <= 5, output
    app.extensions.pop("crswatch.gateway")
