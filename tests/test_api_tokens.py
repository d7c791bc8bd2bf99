"""Staff API tokens (issue 16): shown once, stored hashed, each with a name, owner, created and last-used
times and an expiry; revocable one by one on the staff page; a database from before keeps its tokens."""
from __future__ import annotations

import re
from datetime import timedelta

from conftest import auth
from test_dashboard import ADMIN, PASSWORD, csrf_from, sign_in
from test_migrations import legacy_database

from monitoring import staff as staff_module
from monitoring.clinic import open_clinic
from monitoring.store import connect, migrate, transaction


def signed_in_admin(app, client):
    clinic = open_clinic(app.config["CRS"])
    try:
        staff_module.set_password(clinic, ADMIN, PASSWORD, actor="test")
    finally:
        clinic.db.close()
    sign_in(client, ADMIN)
    return csrf_from(client.get("/dashboard/staff").text)


def test_each_token_has_a_name_owner_times_and_expiry(client, config, admin_token, clock):
    db = connect(config["database"]["path"])
    row = db.execute("SELECT * FROM api_tokens").fetchone()
    assert row["name"] == "first token" and row["last_used_at"] is None and row["created_by"] == "cli"
    assert row["expires_at"].startswith("2027-03-03T16:00:00")  # 365 days, the default
    client.get("/api/v1/alerts", headers=auth(admin_token))
    assert db.execute("SELECT last_used_at FROM api_tokens").fetchone()[0].startswith("2026-03-03T16:00:00")


def test_an_expired_token_is_refused(client, admin_token, clock):
    clock.shift(timedelta(days=364))
    assert client.get("/api/v1/alerts", headers=auth(admin_token)).status_code == 200
    clock.shift(timedelta(days=1))
    assert client.get("/api/v1/alerts", headers=auth(admin_token)).status_code == 401


def test_the_staff_page_lists_tokens_without_them_issues_one_once_and_revokes(app, client, admin_token):
    token = signed_in_admin(app, client)
    page = client.get("/dashboard/staff").text
    assert "first token" in page and admin_token not in page
    made = client.post("/dashboard/tokens", data={"csrf_token": token, "owner": "1", "token_name": "ward laptop"})
    assert made.status_code == 201 and "shown only this once" in made.text
    new = re.search(r'<code class="token">([^<]+)</code>', made.text).group(1)
    assert client.get("/api/v1/alerts", headers=auth(new)).status_code == 200
    assert new not in client.get("/dashboard/staff").text  # never again
    db = connect(app.config["CRS"]["database"]["path"])
    laptop = db.execute("SELECT id FROM api_tokens WHERE name = 'ward laptop'").fetchone()[0]
    client.post(f"/dashboard/tokens/{laptop}/revoke", data={"csrf_token": token})
    assert client.get("/api/v1/alerts", headers=auth(new)).status_code == 401
    assert client.get("/api/v1/alerts", headers=auth(admin_token)).status_code == 200  # the other still works
    again = client.post(f"/dashboard/tokens/{laptop}/revoke", data={"csrf_token": token}, follow_redirects=True)
    assert "already revoked" in again.text
    nameless = client.post("/dashboard/tokens", data={"csrf_token": token, "owner": "1", "token_name": " "})
    assert nameless.status_code == 400 and "needs a name" in nameless.text


def test_cli_issues_another_token_last_line(runner, client, admin_token):
    result = runner.invoke(args=["staff", "token", "Ada Admin", "--label", "integration", "--days", "30"])
    assert result.exit_code == 0
    assert client.get("/api/v1/alerts", headers=auth(result.output.strip().splitlines()[-1])).status_code == 200
    assert runner.invoke(args=["staff", "token", "Nobody"]).exit_code == 1


def test_a_database_from_before_keeps_its_staff_tokens(tmp_path, clock):
    db = legacy_database(str(tmp_path / "old.db"), 2)  # the schema as it was before this change
    with transaction(db):
        db.execute("INSERT INTO staff (name, role, token_hash, failed_logins, active, created_at) VALUES "
                   "('Old Nurse', 'nurse', ?, 3, 1, '2026-01-02T03:04:05.000000+00:00')",
                   [staff_module.token_hash("st_old-token")])
    assert migrate(db)
    clinic = open_clinic({"web": {"api_token_days": 365}}, db)
    assert staff_module.staff_by_token(clinic, "st_old-token")["name"] == "Old Nurse"
    row = db.execute("SELECT name, expires_at FROM api_tokens").fetchone()
    assert tuple(row) == ("first token", "2027-01-02T03:04:05.000000+00:00")
    assert db.execute("SELECT token_hash FROM staff").fetchone()[0] is None
