"""Pause, resume and end monitoring (CONTRACT section 8), on the clock.

A patient in hospital, the ED or clinic gets no check-in and raises no missed-check-in alert while
paused; a red flag they text still pages; texts stop and start again with one plain text each.
"""
from datetime import timedelta

import pytest
from conftest import NURSES, PATIENT_PHONE, START, auth, enroll, texts_to


def tick(runner):
    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0, result.output


def at(clock, minutes):
    clock.move_to(START + timedelta(minutes=minutes))


def post(client, token, path, body=None):
    return client.post(f"/api/v1/patients/{path}", json=body, headers=auth(token))


def patient_view(client, token, patient_id):
    return client.get(f"/api/v1/patients/{patient_id}", headers=auth(token)).get_json()


def kinds(client, token):
    return [m["kind"] for m in texts_to(client, token, PATIENT_PHONE)]


def bodies(client, token):
    return [m["body"] for m in texts_to(client, token, PATIENT_PHONE)]


def alerts(client, token, status="all"):
    return client.get(f"/api/v1/alerts?status={status}", headers=auth(token)).get_json()


def audit_actions(app, patient_id):
    from monitoring.clinic import open_clinic

    clinic = open_clinic(app.config["CRS"])
    try:
        return [row["action"] for row in clinic.db.execute(
            "SELECT action FROM audit_log WHERE subject = ? ORDER BY id", [f"patient:{patient_id}"])]
    finally:
        clinic.db.close()


def test_paused_patient_gets_no_checkin_and_no_missed_alert(client, runner, admin_token, patient, clock):
    at(clock, 10)  # the first prompt is open, unanswered
    response = post(client, admin_token, f"{patient['id']}/pause", {"reason": "admitted"})
    assert response.status_code == 200 and response.get_json()["status"] == "paused"
    episode = patient_view(client, admin_token, patient["id"])["episode"]
    assert (episode["status"], episode["pause_reason"], episode["next_checkin_at"]) == ("paused", "admitted", None)
    assert kinds(client, admin_token) == ["prompt", "info"]
    assert "paused" in bodies(client, admin_token)[-1]
    for minutes in range(15, 12 * 60, 15):  # twelve hours of ticks
        at(clock, minutes)
        tick(runner)
    assert kinds(client, admin_token) == ["prompt", "info"]  # no prompt, no reminder
    assert alerts(client, admin_token) == []  # silence while in hospital is not a missed check-in
    assert patient_view(client, admin_token, patient["id"])["episode"]["missed_checkins"] == 0


def test_resume_sends_one_text_and_the_prompt_is_due_at_once(client, runner, admin_token, patient, clock):
    post(client, admin_token, f"{patient['id']}/pause", {"reason": "in_clinic"})
    at(clock, 240)
    response = post(client, admin_token, f"{patient['id']}/resume")
    assert response.status_code == 200 and response.get_json()["status"] == "active"
    episode = patient_view(client, admin_token, patient["id"])["episode"]
    assert episode["status"] == "active" and episode["paused_at"] is None
    assert kinds(client, admin_token) == ["prompt", "info", "info"]
    assert "start again" in bodies(client, admin_token)[-1]
    tick(runner)
    assert kinds(client, admin_token) == ["prompt", "info", "info", "prompt"]
    # one question: the resumed text asked for the temperature and the prompt a moment later asked again
    resumed, prompt = bodies(client, admin_token)[-2:]
    assert "temperature" not in resumed and "(555) 555-0100" in resumed
    assert "Please reply with your temperature" in prompt
    assert audit_actions(client.application, patient["id"])[-2:] == ["episode.pause", "episode.resume"]


def test_pause_until_resumes_by_itself(client, runner, admin_token, patient, clock):
    until = (START + timedelta(hours=3)).isoformat()
    response = post(client, admin_token, f"{patient['id']}/pause", {"reason": "ed", "until": until})
    assert response.get_json()["until"] == START.__class__.fromisoformat(until).isoformat()
    at(clock, 179)
    tick(runner)
    assert patient_view(client, admin_token, patient["id"])["episode"]["status"] == "paused"
    at(clock, 180)
    tick(runner)
    episode = patient_view(client, admin_token, patient["id"])["episode"]
    assert episode["status"] == "active"
    assert kinds(client, admin_token) == ["prompt", "info", "info", "prompt"]
    assert audit_actions(client.application, patient["id"])[-1] == "episode.resume"


def test_a_red_flag_texted_while_paused_still_pages(client, runner, admin_token, patient, phone, clock):
    post(client, admin_token, f"{patient['id']}/pause", {"reason": "other"})
    at(clock, 30)
    phone.text("temp 39.2 bp 82/50 confused")
    tick(runner)
    [alert] = alerts(client, admin_token, "open")
    assert alert["level"] == "urgent"
    assert any(m["to"] == NURSES[0] and m["kind"] == "alert"
               for m in client.get("/api/v1/messages", headers=auth(admin_token)).get_json())
    at(clock, 6 * 60)
    tick(runner)
    assert "prompt" not in kinds(client, admin_token)[1:]  # still paused: the reading did not restart prompts


def test_pausing_again_changes_the_reason_without_another_text(client, admin_token, patient):
    post(client, admin_token, f"{patient['id']}/pause", {"reason": "ed"})
    response = post(client, admin_token, f"{patient['id']}/pause", {"reason": "admitted"})
    assert response.status_code == 200
    assert patient_view(client, admin_token, patient["id"])["episode"]["pause_reason"] == "admitted"
    assert kinds(client, admin_token) == ["prompt", "info"]


def test_end_early_with_a_reason(client, runner, admin_token, patient, clock):
    response = post(client, admin_token, f"{patient['id']}/end", {"reason": "admitted for grade 2 CRS"})
    assert response.status_code == 200 and response.get_json()["status"] == "ended"
    episode = patient_view(client, admin_token, patient["id"])["episode"]
    assert (episode["status"], episode["end_reason"]) == ("ended", "admitted for grade 2 CRS")
    assert kinds(client, admin_token) == ["prompt", "info"]
    assert "ended" in bodies(client, admin_token)[-1]
    at(clock, 6 * 60)
    tick(runner)
    assert kinds(client, admin_token) == ["prompt", "info"]
    assert post(client, admin_token, f"{patient['id']}/pause", {"reason": "ed"}).status_code == 409
    assert post(client, admin_token, f"{patient['id']}/end", {"reason": "again"}).status_code == 409
    assert audit_actions(client.application, patient["id"])[-1] == "episode.end"


def test_stop_shows_as_opted_out(client, admin_token, patient, phone):
    phone.text("STOP")
    assert patient_view(client, admin_token, patient["id"])["episode"]["status"] == "opted_out"


def test_spanish_patient_is_told_in_spanish(client, admin_token, runner):
    enrolled = enroll(client, admin_token, language="es")
    post(client, admin_token, f"{enrolled['id']}/pause", {"reason": "admitted"})
    assert "pausamos" in bodies(client, admin_token)[-1]


@pytest.mark.parametrize("path, body, status, field", [
    pytest.param("pause", {}, 400, "reason", id="pause-no-reason"),
    pytest.param("pause", {"reason": "holiday"}, 400, "reason", id="pause-unknown-reason"),
    pytest.param("pause", {"reason": "ed", "until": "tomorrow"}, 400, "until", id="pause-until-words"),
    pytest.param("pause", {"reason": "ed", "until": "2026-03-03T09:00:00-06:00"}, 400, "until", id="until-past"),
    pytest.param("pause", {"reason": "ed", "until": "2026-04-03T09:00:00-06:00"}, 400, "until", id="until-far"),
    pytest.param("pause", {"reason": "ed", "why": "x"}, 400, "why", id="pause-unknown-field"),
    pytest.param("end", {}, 400, "reason", id="end-no-reason"),
    pytest.param("end", {"reason": "x" * 201}, 400, "reason", id="end-reason-too-long"),
    pytest.param("resume", None, 409, "episode", id="resume-not-paused"),
])
def test_bad_requests_change_nothing(client, admin_token, patient, path, body, status, field):
    response = post(client, admin_token, f"{patient['id']}/{path}", body)
    assert response.status_code == status and response.get_json()["field"] == field
    assert patient_view(client, admin_token, patient["id"])["episode"]["status"] == "active"
    assert kinds(client, admin_token) == ["prompt"]


def test_unknown_patient_is_404(client, admin_token):
    assert post(client, admin_token, "999/pause", {"reason": "ed"}).status_code == 404
