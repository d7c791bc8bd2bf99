"""The clinic always keeps an admin: the settings and staff pages need one."""
from __future__ import annotations

from test_dashboard import users  # noqa: F401  (fixtures)

from monitoring.clinic import open_clinic
from monitoring.staff import list_staff


def test_the_last_admin_cannot_be_demoted_or_revoked(app, runner, users):  # noqa: F811
    """The dashboard stops an admin changing their own role or revoking themselves, but the command line took the
    last admin away: nobody could then reach the settings or the staff page."""
    demoted = runner.invoke(args=["staff", "role", "Ada Admin", "nurse"])
    assert demoted.exit_code != 0 and "Ada Admin is the last admin; make another admin first" in demoted.output
    revoked = runner.invoke(args=["staff", "revoke", "Ada Admin"])
    assert revoked.exit_code != 0 and "Ada Admin is the last admin; make another admin first" in revoked.output
    people = {person["name"]: person for person in list_staff(open_clinic(app.config["CRS"]))}
    assert people["Ada Admin"]["role"] == "admin" and people["Ada Admin"]["active"] == 1
    assert runner.invoke(args=["staff", "role", "Nora Nurse", "admin"]).exit_code == 0
    assert runner.invoke(args=["staff", "role", "Ada Admin", "nurse"]).exit_code == 0  # another admin is left
