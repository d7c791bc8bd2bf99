"""Config: defaults are the SOP's numbers; every kind of bad setting is one line naming the key."""
import re

import pytest
from pydantic import BaseModel

from app import create_app
from monitoring.config import DEFAULTS, ConfigError, load


def test_defaults_are_the_sops_numbers():
    settings = load({})
    assert settings["thresholds"]["fever_c"] == 38.0
    assert settings["thresholds"]["systolic_floor"] == 90
    assert settings["thresholds"]["systolic_drop"] == 10
    assert settings["thresholds"]["spo2_floor"] == 90
    assert settings["thresholds"]["acetaminophen_interval_hours"] == 6
    assert settings["checkins"]["interval_minutes"] == 120
    assert settings["sms"]["backend"] == "outbox"
    assert settings["scheduler"]["enabled"] is True


def test_partial_config_keeps_other_defaults():
    settings = load({"thresholds": {"fever_c": 38.3}})
    assert settings["thresholds"]["fever_c"] == 38.3
    assert settings["thresholds"]["spo2_floor"] == 90
    assert DEFAULTS["thresholds"]["fever_c"] == 38.0  # defaults are never mutated


@pytest.mark.parametrize("config, key, words", [
    pytest.param({"thresholds": {"fevr_c": 38}}, "thresholds.fevr_c", "unknown key", id="unknown-key"),
    pytest.param({"colour": {}}, "colour", "unknown key", id="unknown-section"),
    pytest.param({"thresholds": {"fever_c": "high"}}, "thresholds.fever_c", "must be a number", id="wrong-type-number"),
    pytest.param({"scheduler": {"enabled": "yes"}}, "scheduler.enabled", "true or false", id="wrong-type-bool"),
    pytest.param({"checkins": {"interval_minutes": 90.5}}, "checkins.interval_minutes", "whole number", id="wrong-type-int"),
    pytest.param({"thresholds": {"fever_c": 40.0}}, "thresholds.fever_c", "between 37.5 and 39.5", id="fever-too-high"),
    pytest.param({"thresholds": {"fever_c": 37.4}}, "thresholds.fever_c", "between 37.5 and 39.5", id="fever-too-low"),
    pytest.param({"thresholds": {"spo2_floor": 96}}, "thresholds.spo2_floor", "between 80 and 95", id="spo2-too-high"),
    pytest.param({"thresholds": {"spo2_floor": 79}}, "thresholds.spo2_floor", "between 80 and 95", id="spo2-too-low"),
    pytest.param({"clinic": {"phone": "555-0100"}}, "clinic.phone", "E.164", id="phone-not-e164"),
    pytest.param({"clinic": {"phone": "(312) 555-0100"}}, "clinic.phone",
                 "not '(312) 555-0100' (a US number? write +13125550100)", id="phone-us-national"),
    pytest.param({"oncall": [{"name": "N", "phone": "1-312-555-0142"}]}, "oncall[0].phone",
                 "(a US number? write +13125550142)", id="oncall-phone-with-1-no-plus"),
    pytest.param({"oncall": [{"name": "N", "phone": "12"}]}, "oncall[0].phone", "E.164", id="oncall-phone"),
    pytest.param({"oncall": []}, "oncall", "non-empty", id="oncall-empty"),
    pytest.param({"sms": {"messaging_service_sid": "PN" + "0" * 32}}, "sms.messaging_service_sid", "Messaging Service",
                 id="messaging-service-not-mg"),
    pytest.param({"sms": {"messaging_service_senders": 0}}, "sms.messaging_service_senders", "between 1 and 400",
                 id="no-senders"),
    pytest.param({"sms": {"prompt_spread_minutes": 31}}, "sms.prompt_spread_minutes", "between 0 and 30",
                 id="spread-too-long"),
    pytest.param({"clinic": {"timezone": "Mars/Olympus"}}, "clinic.timezone", "IANA", id="unknown-zone"),
    pytest.param({"clinic": {"open": "8am"}}, "clinic.open", "24-hour", id="hours-do-not-parse"),
    pytest.param({"clinic": {"open": "18:00"}}, "clinic.close", "later than", id="close-before-open"),
    pytest.param({"clinic": {"days": ["weekdays"]}}, "clinic.days", "mon", id="bad-day"),
    pytest.param({"clinic": {"days": []}}, "clinic.days", "at least one", id="no-days"),
    pytest.param({"clinic": {"name": "  "}}, "clinic.name", "must not be empty", id="empty-name"),
    pytest.param({"sms": {"backend": "carrier-pigeon"}}, "sms.backend", "outbox, twilio", id="bad-backend"),
    pytest.param({"sms": {"backend": "twilio"}}, "sms.twilio.account_sid", "must be set", id="twilio-needs-sid"),
    pytest.param({"sms": {"backend": "twilio", "twilio": {"account_sid": "AC1", "auth_token": "t"}}},
                 "sms.public_base_url", "must be set", id="twilio-needs-public-url"),
    pytest.param({"sms": {"backend": "twilio", "public_base_url": "https://m.example.org",
                          "twilio": {"account_sid": "AC1", "auth_token": "t"}}},
                 "clinic.phone", "example number", id="twilio-refuses-example-clinic-phone"),
    pytest.param({"clinic": {"phone": "+13125550000"}, "sms": {"backend": "twilio", "public_base_url": "https://m.example.org",
                  "from_number": "+13125550001", "twilio": {"account_sid": "AC1", "auth_token": "t"}}},
                 "oncall[0].phone", "example number", id="twilio-refuses-example-oncall"),
    pytest.param({"clinic": {"name": "x" * 41}}, "clinic.name", "at most 40", id="name-too-long"),
    pytest.param({"checkins": {"missed_after_minutes": 10}}, "checkins.missed_after_minutes", "later than", id="missed-before-reminder"),
    pytest.param({"database": {"path": ""}}, "database.path", "keeps nothing", id="empty-database-path"),
    pytest.param({"database": {"path": ":memory:"}}, "database.path", "keeps nothing", id="memory-database"),
    pytest.param({"oncall": [{"name": "Nurse A", "phone": "+13125550142"}, {"name": "nurse a ", "phone": "+13125550143"}]},
                 "oncall[1].name", "'Nurse A' is already in the chain", id="oncall-name-twice"),
    pytest.param({"oncall": [{"name": "Nurse A", "phone": "+13125550142"}, {"name": "Nurse B", "phone": "+1 312 555 0142"}]},
                 "oncall[1].phone", "+13125550142 is already Nurse A's", id="oncall-phone-twice"),
    # an on-call phone that is the clinic's own number would page the desk line or crswatch itself (as a staff phone
    # may not be one: monitoring.staff.check_not_a_patients_phone)
    pytest.param({"clinic": {"phone": "+13125550100"}, "oncall": [{"name": "Nurse A", "phone": "+1 312 555 0100"}]},
                 "oncall[0].phone", "+13125550100 is the clinic's phone (the number patients are told to call); "
                 "enter the nurse's own mobile", id="oncall-phone-is-the-clinic-phone"),
    pytest.param({"sms": {"from_number": "+13125550123"}, "oncall": [{"name": "Nurse A", "phone": "+13125550142"},
                                                                     {"name": "Nurse B", "phone": "+13125550123"}]},
                 "oncall[1].phone", "+13125550123 is the number the service texts from; enter the nurse's own mobile",
                 id="oncall-phone-is-from-number"),
    pytest.param({"sms": {"pager_number": "+13125550124"}, "oncall": [{"name": "Nurse A", "phone": "+13125550124"}]},
                 "oncall[0].phone", "+13125550124 is the number the service texts from", id="oncall-phone-is-pager-number"),
    pytest.param({"name": "St Mary", "phone": "+13125550100"}, "name", "belongs under a [clinic] line above it", id="clinic-table-missing"),
    pytest.param({"path": "x.db"}, "path", "belongs under a [database] line", id="database-table-missing"),
    pytest.param({"clinic": {"open": 8}}, "clinic.open", 'in quotes, like "08:00"', id="hours-not-quoted"),
    pytest.param({"clinic": {"close": "25:00"}}, "clinic.close", "24-hour time", id="hour-25"),
    pytest.param({"rota": {"clinic_hours": "Nora Nurse, Dana Day"}}, "rota.clinic_hours",
                 'not \'Nora Nurse, Dana Day\'; write it as ["Nora Nurse", "Dana Day"]', id="rota-not-a-list"),
    pytest.param({"web": {"secret_key": "changeme"}}, "web.secret_key",
                 "must be at least 16 characters (it signs every sign-in)", id="guessable-secret-key"),
    pytest.param({"thresholds": {"fever_c": 100.4}}, "thresholds.fever_c",
                 "must be between 37.5 and 39.5, not 100.4: it is in °C (100.4 °F is 38.0 °C)", id="fever-in-fahrenheit"),
    pytest.param({"clinic": {"days": ["mon", "Funday"]}}, "clinic.days",
                 "must be days among mon, tue, wed, thu, fri, sat, sun, not Funday", id="bad-day-in-words"),
    # the settings page's "Days open" typed as a sentence was read as ["mon"]: the clinic closed Tuesday to Friday
    # (urgent texts said ED, the nights-and-weekends chain was paged all day)
    pytest.param({"clinic": {"days": ["Monday to Friday"]}}, "clinic.days",
                 "not Monday to Friday; a range is each day, like mon, tue, wed, thu, fri", id="days-as-a-sentence"),
    pytest.param({"clinic": {"days": ["Mon-Fri"]}}, "clinic.days",
                 "not Mon-Fri; a range is each day, like mon, tue, wed, thu, fri", id="days-as-a-range"),
    pytest.param({"clinic": {"days": ["mondays"]}}, "clinic.days", "not mondays", id="plural-day"),
    # typed by a clinic admin: a misspelt key, a key under the wrong table (the message listed only this table's)
    pytest.param({"clinic": {"nmae": "St. Mary"}}, "clinic.nmae", "unknown key; did you mean name? known keys here: ",
                 id="misspelt-key"),
    pytest.param({"clinic": {"fever_c": 38.3}}, "clinic.fever_c",
                 "unknown key under [clinic]; it belongs under [thresholds]", id="key-under-another-table"),
    # `[oncall]` written with one pair of brackets (as every other table in the file): one table, not a list
    pytest.param({"oncall": {"name": "Nina", "phone": "+13125550142"}}, "oncall",
                 "must be a non-empty list of {name, phone} tables; write [[oncall]] (two brackets) above each "
                 "person's name and phone", id="oncall-single-brackets"),
])

def test_bad_config_names_the_key(config, key, words):
    with pytest.raises(ConfigError) as raised:
        load(config)
    message = raised.value.format_message()
    assert key in message and words in message
    assert "\n" not in message
    assert raised.value.exit_code == 2


def test_days_are_read_in_any_case_and_in_full():
    assert load({"clinic": {"days": ["Mon", "TUESDAY", " wed "]}})["clinic"]["days"] == ["mon", "tue", "wed"]


def test_toml_file_is_read(tmp_path):
    path = tmp_path / "clinic.toml"
    path.write_text('[thresholds]\nfever_c = 38.5\n[[oncall]]\nname = "A"\nphone = "+15555550142"\n')
    assert load(str(path))["thresholds"]["fever_c"] == 38.5


def test_a_toml_time_without_quotes_is_read_as_that_time(tmp_path):
    path = tmp_path / "clinic.toml"
    path.write_text("[clinic]\nopen = 07:30:00\nclose = 16:00:00\n")
    assert load(str(path))["clinic"]["open"] == "07:30" and load(str(path))["clinic"]["close"] == "16:00"


@pytest.mark.parametrize("raw, words", [
    pytest.param('[clinic]\nname = "St. Mary\x92s"\n'.encode("latin-1"), "is not UTF-8 text (line 2, column", id="windows-1252"),
    pytest.param('[[oncall]]\nname = "José"\nphone = "+13125550142"\n'.encode("cp1252"), "is not UTF-8 text (line 2, column",
                 id="latin-1-accent"),
    pytest.param('[clinic]\nname = \u201cSt Mary\u201d\n'.encode(), "curly quotes", id="curly-quotes"),
    pytest.param(b'[clinic]\nopen = 7:30\n', 'line 2 reads: open = 7:30; write a time in quotes, like open = "08:00"',
                 id="time-without-quotes"),
    pytest.param(b'[clinic]\nname = St Mary\n', 'line 2 reads: name = St Mary; write text in straight double quotes',
                 id="text-without-quotes"),
])
def test_a_file_a_word_processor_saved_names_the_line_and_what_to_do(tmp_path, raw, words):
    path = tmp_path / "clinic.toml"
    path.write_bytes(raw)
    with pytest.raises(ConfigError) as raised:
        load(str(path))
    message = raised.value.format_message()
    assert str(path) in message and words in message and "\n" not in message


def test_a_utf8_file_with_a_byte_order_mark_is_read(tmp_path):
    """Windows Notepad's "UTF-8 with BOM": tomllib refused it ("Invalid statement (at line 1, column 1)")."""
    path = tmp_path / "clinic.toml"
    path.write_bytes("\ufeff[clinic]\nname = \"St. Mary's\"\n".encode())
    assert load(str(path))["clinic"]["name"] == "St. Mary's"


def test_a_folder_instead_of_a_file_says_so(tmp_path):
    with pytest.raises(ConfigError, match="CRS_CONFIG: cannot read .* point CRS_CONFIG at the TOML file"):
        load(str(tmp_path))


def test_cli_with_a_windows_1252_file_exits_2_with_one_line(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    bad = tmp_path / "clinic.toml"
    bad.write_bytes('[clinic]\nname = "St. Mary\x92s"\n'.encode("latin-1"))
    for command in (["init-db"], ["serve", "--port", "0"]):
        result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *command], capture_output=True,
                                check=False, text=True, env={"CRS_CONFIG": str(bad), "PATH": "/usr/bin:/bin"},
                                cwd=str(Path(__file__).resolve().parent.parent), timeout=60)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr + result.stdout
        assert [line for line in result.stderr.splitlines() if line.strip()] == [
            (f"Error: config: {bad}: is not UTF-8 text (line 2, column 17); save it as UTF-8 (in Notepad: "
             "Save as, Encoding: UTF-8)")]


def test_missing_file_says_what_to_do(tmp_path):
    with pytest.raises(ConfigError, match="config.example.toml"):
        load(str(tmp_path / "missing.toml"))


def test_example_config_is_valid_and_documents_every_key():
    import tomllib
    from pathlib import Path

    text = Path(__file__).resolve().parent.parent.joinpath("config.example.toml").read_text()
    example = tomllib.loads(text)
    load(example)  # loads without error
    for section, values in DEFAULTS.items():
        if isinstance(values, dict):
            for key, value in values.items():
                if isinstance(value, dict):
                    for sub in value:
                        assert f"{sub} =" in text, f"{section}.{key}.{sub} undocumented"
                else:
                    assert f"{key} =" in text, f"{section}.{key} undocumented"


def test_cli_with_bad_config_exits_2_with_one_line(tmp_path):
    import subprocess
    import sys

    bad = tmp_path / "bad.toml"
    bad.write_text("[thresholds]\nspo2_floor = 70\n")
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "init-db"], capture_output=True, check=False,
                            text=True, env={"CRS_CONFIG": str(bad), "PATH": "/usr/bin:/bin"},
                            cwd=str(__import__("pathlib").Path(__file__).resolve().parent.parent))
    assert result.returncode == 2
    assert "thresholds.spo2_floor" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_create_app_rejects_bad_dict():
    with pytest.raises(ConfigError, match="thresholds.fever_c"):
        create_app({"thresholds": {"fever_c": 45}})


def test_example_config_is_written_from_the_model():
    """config.example.toml is the model's manual: change monitoring/config_model.py, then run
    `python -m monitoring.config example > config.example.toml`."""
    import subprocess
    import sys
    from pathlib import Path

    from monitoring.config import example_toml

    root = Path(__file__).resolve().parent.parent
    text = root.joinpath("config.example.toml").read_text()
    assert text == example_toml(), "config.example.toml drifted: python -m monitoring.config example > config.example.toml"
    written = subprocess.run([sys.executable, "-m", "monitoring.config", "example"], capture_output=True, check=False,
                             text=True, cwd=str(root))
    assert written.returncode == 0 and written.stdout == text


def test_every_setting_is_described_once_with_label_help_range_and_sop():
    from monitoring.config_model import Settings, described, table_of

    tables = [name for name in Settings.model_fields if name != "oncall"]
    tables += [f"{name}.{sub}" for name in tables for sub, info in table_of(name).model_fields.items()
               if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)]
    rows = [row for table in tables for row in described(table)]
    leaves = {f"{section}.{key}" for section, values in DEFAULTS.items() if isinstance(values, dict)
              for key, value in values.items() if not isinstance(value, dict)}
    leaves |= {f"sms.twilio.{key}" for key in DEFAULTS["sms"]["twilio"]}
    assert len(rows) == len({row.key for row in rows}) and {row.key for row in rows} == leaves
    for row in rows:
        assert row.label and row.help, row.key
        if row.kind in ("whole", "number"):  # every number has its range and unit
            assert row.low is not None and row.high is not None and row.low <= row.default <= row.high, row.key
            assert row.unit, row.key
        if row.key.startswith("thresholds."):  # every clinical threshold names its SOP line
            assert re.search(r"^SOP \d.*, line \d+: ", row.sop), row.key


def test_triage_thresholds_are_built_from_the_model():
    """triage owns the SOP's numbers (its Thresholds defaults and ranges); the model describes exactly those."""
    from dataclasses import fields

    from monitoring.config import describe, thresholds
    from triage import THRESHOLD_RANGES, Thresholds

    assert thresholds(load({})) == Thresholds()
    assert [item.name for item in fields(Thresholds)] == list(DEFAULTS["thresholds"])
    for item in fields(Thresholds):
        row = describe(f"thresholds.{item.name}")
        assert (row.low, row.high) == THRESHOLD_RANGES[item.name]
        assert row.default == getattr(Thresholds(), item.name)
        assert row.kind == {"int": "whole", "float": "number"}[str(item.type)]
    assert thresholds(load({"thresholds": {"fever_c": 38.5}})).fever_c == 38.5


@pytest.mark.parametrize("change, field, words", [
    pytest.param({"checkins.interval_minutes": 90.5}, "checkins.interval_minutes", "whole number", id="not-whole"),
    pytest.param({"clinic.days": "mon"}, "clinic.days", "list of strings", id="days-not-a-list"),
    pytest.param({"escalation.page_callback_number": "no"}, "escalation.page_callback_number", "true or false",
                 id="not-a-flag"),
    pytest.param({"thresholds.fever_c": 39.6}, "thresholds.fever_c", "between 37.5 and 39.5", id="fever-out"),
    pytest.param({"oncall": [{"name": "A", "phone": "12"}]}, "oncall[0].phone", "E.164", id="oncall-phone"),
    # the clinic's phone moved onto the first on-call nurse's: her pages would go to the desk line
    pytest.param({"clinic.phone": "+15555550142"}, "oncall[0].phone", "+15555550142 is the clinic's phone",
                 id="clinic-phone-onto-an-on-call-phone"),
])
def test_a_stored_edit_is_validated_by_the_same_model(client, admin_token, change, field, words):
    from conftest import auth

    response = client.put("/api/v1/settings", json=change, headers=auth(admin_token))
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["field"] == field and words in response.get_json()["error"]
    assert client.get("/api/v1/settings", headers=auth(admin_token)).get_json()["overrides"] == {}



@pytest.mark.parametrize("command", [["init-db"], ["serve", "--port", "0"]])
def test_a_database_path_that_is_not_a_database_stops_the_start_with_one_line(tmp_path, command):
    """database.path pointing at another file (the config itself, a .sql dump) or at a folder: a traceback
    ('sqlite3.DatabaseError: file is not a database', 'unable to open database file') was all the admin saw."""
    import subprocess
    import sys
    from pathlib import Path

    dump = tmp_path / "backup.sql"
    dump.write_text("-- a text dump, not a database\n" * 40)
    for path, words in ((dump, "is not a database or is damaged"), (tmp_path, "is a folder; name a file in it")):
        config = tmp_path / "clinic.toml"
        config.write_text(f'[database]\npath = "{path}"\n[web]\nsecret_key = "{"k" * 32}"\n')
        result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *command], capture_output=True,
                                check=False, text=True, env={"CRS_CONFIG": str(config), "PATH": "/usr/bin:/bin"},
                                cwd=str(Path(__file__).resolve().parent.parent), timeout=60)
        lines = [line for line in result.stderr.splitlines() if line.strip() and "WARNING" not in line]
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr + result.stdout
        assert len(lines) == 1 and str(path) in lines[0] and words in lines[0], lines


@pytest.mark.parametrize("typed", ["https://monitor.example.org/dashboard", "https://monitor.example.org/dashboard/",
                                   "https://monitor.example.org/dashboard/alerts/12"])
def test_a_dashboard_address_copied_from_the_browser_links_the_page_itself(typed):
    """The admin pastes the address they see in the browser: nurse texts linked '/dashboard/dashboard/alerts/1',
    a page that does not exist, at 3 a.m."""
    from monitoring.clinic import Clinic

    config = load({"clinic": {"dashboard_url": typed}})
    assert config["clinic"]["dashboard_url"] == "https://monitor.example.org"
    assert Clinic(db=None, config=config).dashboard_url("/dashboard/alerts/1") == (
        "https://monitor.example.org/dashboard/alerts/1")
    behind = load({"clinic": {"dashboard_url": "https://example.org/crs/dashboard"}})  # served under a prefix
    assert behind["clinic"]["dashboard_url"] == "https://example.org/crs"


@pytest.mark.parametrize("host", ["http://dashboard", "https://sms", "https://voice.example.org"])
def test_a_host_named_like_a_path_is_kept(host):
    """Found in review: the cut ran over the whole address, so a host called 'dashboard' or 'sms' became 'http:',
    which was taken, and every nurse link and every signature check went wrong. Only the path is cut."""
    assert load({"clinic": {"dashboard_url": host}})["clinic"]["dashboard_url"] == host
    assert load({"sms": {"public_base_url": host + "/sms/inbound"}})["sms"]["public_base_url"] == host


@pytest.mark.parametrize("typed", ["https://monitor.example.org/sms/inbound", "https://monitor.example.org/sms/inbound/",
                                   "https://monitor.example.org/dashboard"])
def test_the_webhook_address_pasted_as_the_public_address_is_cut_to_the_site(typed):
    """[sms] public_base_url's help says 'the URL Twilio calls': pasted as the webhook's own address, every
    signature was checked over https://host/sms/inbound/sms/inbound and every patient's text refused (403)."""
    assert load({"sms": {"public_base_url": typed}})["sms"]["public_base_url"] == "https://monitor.example.org"
    assert load({"sms": {"public_base_url": "https://example.org/crs/"}})["sms"]["public_base_url"] == (
        "https://example.org/crs")  # served under a prefix


def test_a_text_signed_for_the_webhook_is_taken_with_that_public_address(tmp_path, clock):
    from conftest import PATIENT_PHONE, Phone, add_staff, base_config, enroll

    config = base_config(tmp_path / "hook.db")
    config["sms"]["public_base_url"] = "https://monitor.example.org/sms/inbound"
    app = create_app(config)
    app.testing = True
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    client = app.test_client()
    enroll(client, add_staff(runner, "Ada Admin", "admin"))
    assert Phone(client).text("98.6", sender=PATIENT_PHONE).status_code == 200
