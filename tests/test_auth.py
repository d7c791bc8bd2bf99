"""Staff tokens: 401 without or with a wrong token, 403 for a nurse on admin actions, tokens hashed."""
import pytest
from conftest import auth

from monitoring.store import connect


@pytest.mark.parametrize("headers", [
    pytest.param({}, id="no-header"),
    pytest.param({"Authorization": "Bearer wrong"}, id="wrong-token"),
    pytest.param({"Authorization": "Basic abc"}, id="wrong-scheme"),
    pytest.param({"Authorization": "Bearer "}, id="empty-token"),
])
def test_staff_api_needs_a_token(client, admin_token, headers):
    response = client.get("/api/v1/alerts", headers=headers)
    assert response.status_code == 401
    assert "token" in response.get_json()["error"]


def test_token_works_and_is_stored_hashed(client, admin_token, config):
    assert client.get("/api/v1/alerts", headers=auth(admin_token)).status_code == 200
    db = connect(config["database"]["path"])
    stored = [row[0] for row in db.execute("SELECT token_hash FROM api_tokens")]  # tokens moved off the staff row
    assert stored and admin_token not in stored and all(len(h) == 64 for h in stored)


def test_revoked_token_is_refused(client, runner, nurse_token):
    assert client.get("/api/v1/alerts", headers=auth(nurse_token)).status_code == 200
    result = runner.invoke(args=["staff", "revoke", "Nora Nurse"])
    assert result.exit_code == 0
    assert client.get("/api/v1/alerts", headers=auth(nurse_token)).status_code == 401


def test_staff_list_shows_people(runner, admin_token, nurse_token):
    output = runner.invoke(args=["staff", "list"]).output
    assert "Ada Admin\tadmin" in output and "Nora Nurse\tnurse\t+15555550177" in output


def test_staff_add_duplicate_and_bad_phone(runner, admin_token):
    assert runner.invoke(args=["staff", "add", "Ada Admin", "--role", "admin"]).exit_code == 1
    result = runner.invoke(args=["staff", "add", "X", "--role", "nurse", "--phone", "12"])
    assert result.exit_code == 1 and "E.164" in result.output


def test_patient_token_cannot_use_staff_api(client, patient):
    assert client.get("/api/v1/alerts", headers=auth(patient["patient_token"])).status_code == 401


def test_staff_token_cannot_use_patient_api(client, admin_token):
    assert client.get("/api/v1/me", headers=auth(admin_token)).status_code == 401


def test_nurse_gets_403_on_admin_action(client, runner, admin_token, nurse_token):
    # clinic settings are the admin action of the API
    response = client.put("/api/v1/settings", json={"thresholds.fever_c": 38.2}, headers=auth(nurse_token))
    assert response.status_code == 403
    response = client.put("/api/v1/settings", json={"thresholds.fever_c": 38.2}, headers=auth(admin_token))
    assert response.status_code == 200
    assert response.get_json()["effective"]["thresholds"]["fever_c"] == 38.2


def test_unexpected_error_is_a_json_500_with_request_id_and_no_details(client, admin_token, patient, monkeypatch,
                                                                       caplog):
    from monitoring import views

    def broken(*args, **kwargs):
        raise RuntimeError("secret detail: /var/lib/crswatch.db")

    monkeypatch.setattr(views, "patient_view", broken)
    response = client.get(f"/api/v1/patients/{patient['id']}", headers=auth(admin_token))
    assert response.status_code == 500
    body = response.get_json()
    request_id = response.headers["X-Request-Id"]
    assert request_id and request_id in body["error"]
    assert "secret" not in response.get_data(as_text=True) and "Traceback" not in response.get_data(as_text=True)
    assert any(request_id in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("change, field", [
    pytest.param({"clinic.days": []}, "clinic.days", id="no-days"),
    pytest.param({"clinic.name": ""}, "clinic.name", id="empty-name"),
    pytest.param({"thresholds.spo2_floor": 70}, "thresholds.spo2_floor", id="spo2-out-of-range"),
    pytest.param({"database.path": "/tmp/x.db"}, "database.path", id="not-editable"),
])
def test_settings_api_refuses_bad_edits_naming_the_key(client, admin_token, change, field):
    response = client.put("/api/v1/settings", json=change, headers=auth(admin_token))
    assert response.status_code == 400 and response.get_json()["field"] == field
    assert client.get("/api/v1/settings", headers=auth(admin_token)).get_json()["overrides"] == {}


def test_staff_password_command_sets_and_reports(runner, admin_token):
    result = runner.invoke(args=["staff", "password", "Ada Admin"], input="correct horse battery\ncorrect horse battery\n")
    assert result.exit_code == 0 and "password set for Ada Admin" in result.output
    result = runner.invoke(args=["staff", "password", "Nobody"], input="correct horse battery\ncorrect horse battery\n")
    assert result.exit_code == 1 and "no active staff member" in result.output
    result = runner.invoke(args=["staff", "password", "Ada Admin"], input="short\nshort\n")
    assert result.exit_code == 1 and "at least 12" in result.output  # NIST SP 800-63B / ASVS 2.1.1
