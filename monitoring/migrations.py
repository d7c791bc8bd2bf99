"""The schema's migrations, in the order they run: one sqlite-utils migration set (`MIGRATIONS`), applied
by monitoring.store.migrate under the write lock in one transaction, each recorded by name in the table
`_sqlite_migrations`. Databases from before this set (the hand-written runner's `schema_migrations` table,
versions 1-9) are taken over by monitoring.store.migrate: version k counts as the first k migrations here.

Times are UTC ISO 8601 text (see monitoring.store). JSON columns hold lists of codes.
"""
# HOW TO APPEND A MIGRATION (never edit, rename or reorder one that has shipped: a database records each
# by its function's name). Add a function like this one AFTER THE LAST ONE in this file (they run in the
# order they are defined):
#
#     @MIGRATIONS()
#     def m010_what_it_adds(db: Database) -> None:
#         """What it adds and why (the issue, the SOP line)."""
#         run_sql(db, """
#         CREATE INDEX readings_taken ON readings (taken_at);
#         """)
#
# - Name it mNNN_<what>, NNN one more than the last one's: NNN is the schema version `init-db` prints.
#   Two branches that each append an m010 are renumbered (renamed) at merge, before either ships.
# - Plain SQL through run_sql(db, ...), statement by statement inside the migration's transaction.
# - A test in tests/test_migrations.py checks that every database, fresh or upgraded, ends with one schema.
import sqlite3

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATIONS = Migrations("crswatch")


def run_sql(db: Database, script: str) -> None:
    """Run a migration's SQL script one statement at a time inside the migration's transaction (sqlite3's
    executescript would commit first). Split at line ends where the statement is complete, so a trigger's
    body stays whole; a third of the time of sqlite-utils' executescript, which tests pay on every fresh database."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.conn.execute(statement)
            statement = ""
    if statement.strip():
        db.conn.execute(statement)  # an incomplete last statement: let SQLite name the error


@MIGRATIONS()
def m001_first_schema(db: Database) -> None:
    """The first schema."""
    run_sql(db, """
    CREATE TABLE staff (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('nurse', 'admin')),
        phone TEXT,
        token_hash TEXT UNIQUE,
        password_hash TEXT,
        failed_logins INTEGER NOT NULL DEFAULT 0,
        locked_until TEXT,
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );

    CREATE TABLE patients (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        phone TEXT NOT NULL,
        language TEXT NOT NULL CHECK (language IN ('en', 'es')),
        token_hash TEXT NOT NULL UNIQUE,
        baseline_systolic INTEGER,
        baseline_spo2 INTEGER,
        high_risk INTEGER NOT NULL DEFAULT 0,
        risk_factors TEXT NOT NULL DEFAULT '[]',
        checkin_interval_minutes INTEGER,
        opted_out_at TEXT,
        created_at TEXT NOT NULL
    );
    CREATE INDEX patients_phone ON patients (phone);

    CREATE TABLE episodes (
        id INTEGER PRIMARY KEY,
        patient_id INTEGER NOT NULL REFERENCES patients (id),
        therapy TEXT NOT NULL,
        dose_given_at TEXT NOT NULL,
        ends_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended')),
        next_checkin_at TEXT,
        checkin_sent_at TEXT,
        reminder_sent INTEGER NOT NULL DEFAULT 0,
        missed_count INTEGER NOT NULL DEFAULT 0,
        last_answer_at TEXT,
        created_at TEXT NOT NULL,
        ended_at TEXT
    );
    CREATE INDEX episodes_active ON episodes (status, next_checkin_at);
    CREATE INDEX episodes_open_checkin ON episodes (status, checkin_sent_at);
    CREATE INDEX episodes_ends ON episodes (status, ends_at);
    CREATE INDEX episodes_patient ON episodes (patient_id);

    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        to_number TEXT NOT NULL,
        from_number TEXT NOT NULL,
        body TEXT NOT NULL,
        kind TEXT NOT NULL,
        patient_id INTEGER REFERENCES patients (id),
        alert_id INTEGER,
        staff_id INTEGER REFERENCES staff (id),
        status TEXT NOT NULL,
        sid TEXT UNIQUE,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        first_attempt_at TEXT,
        error_code TEXT,
        error_message TEXT,
        processed_at TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX messages_due ON messages (status, next_attempt_at);
    CREATE INDEX messages_patient ON messages (patient_id, id);
    CREATE INDEX messages_unprocessed ON messages (direction, processed_at);
    CREATE INDEX messages_recipient ON messages (to_number, created_at);

    CREATE TABLE readings (
        id INTEGER PRIMARY KEY,
        patient_id INTEGER NOT NULL REFERENCES patients (id),
        episode_id INTEGER NOT NULL REFERENCES episodes (id),
        taken_at TEXT NOT NULL,
        temperature_c REAL,
        systolic INTEGER,
        diastolic INTEGER,
        spo2 INTEGER,
        heart_rate INTEGER,
        symptoms TEXT NOT NULL DEFAULT '[]',
        denied_symptoms TEXT NOT NULL DEFAULT '[]',
        implausible TEXT NOT NULL DEFAULT '[]',
        source TEXT NOT NULL,
        message_id INTEGER REFERENCES messages (id),
        created_at TEXT NOT NULL
    );
    CREATE INDEX readings_episode ON readings (episode_id, taken_at);

    CREATE TABLE medications (
        id INTEGER PRIMARY KEY,
        patient_id INTEGER NOT NULL REFERENCES patients (id),
        episode_id INTEGER REFERENCES episodes (id),
        name TEXT NOT NULL,
        dose_mg REAL,
        weight_kg REAL,
        given_at TEXT NOT NULL,
        source TEXT NOT NULL,
        recorded_by INTEGER REFERENCES staff (id),
        message_id INTEGER REFERENCES messages (id),
        created_at TEXT NOT NULL
    );
    CREATE INDEX medications_patient ON medications (patient_id, name, given_at);

    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        patient_id INTEGER NOT NULL REFERENCES patients (id),
        episode_id INTEGER REFERENCES episodes (id),
        level TEXT NOT NULL,
        reasons TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
        page_round INTEGER NOT NULL DEFAULT 0,
        next_page_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        acknowledged_at TEXT,
        acknowledged_by TEXT,
        resolved_at TEXT,
        resolved_by TEXT,
        resolution_note TEXT
    );
    CREATE INDEX alerts_due ON alerts (status, next_page_at);
    CREATE INDEX alerts_patient ON alerts (patient_id, status);

    CREATE TABLE alert_events (
        id INTEGER PRIMARY KEY,
        alert_id INTEGER NOT NULL REFERENCES alerts (id),
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        actor TEXT,
        detail TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX alert_events_alert ON alert_events (alert_id, id);

    CREATE TABLE assessments (
        id INTEGER PRIMARY KEY,
        patient_id INTEGER NOT NULL REFERENCES patients (id),
        episode_id INTEGER REFERENCES episodes (id),
        reading_id INTEGER REFERENCES readings (id),
        medication_id INTEGER REFERENCES medications (id),
        level TEXT NOT NULL,
        reasons TEXT NOT NULL,
        instructions TEXT NOT NULL,
        assessed_at TEXT NOT NULL
    );
    CREATE INDEX assessments_patient ON assessments (patient_id, id);

    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT,
        detail TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_by TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );

    CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    """)


@MIGRATIONS()
def m002_messages_per_sender(db: Database) -> None:
    """Inbound texts counted per sender (the flood limit)."""
    run_sql(db, """
    CREATE INDEX messages_sender ON messages (from_number, created_at);
    """)


@MIGRATIONS()
def m003_escalation_under_faults(db: Database) -> None:
    """Escalation under faults: what the operator is told, callbacks that overtake their send, and
    paging rounds that forget a failed phone at the next re-page."""
    run_sql(db, """
    CREATE TABLE service_state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE gateway_errors (
        code TEXT NOT NULL,
        scope TEXT NOT NULL CHECK (scope IN ('message', 'recipient', 'account', 'network')),
        count INTEGER NOT NULL DEFAULT 0,
        last_at TEXT NOT NULL,
        last_message TEXT,
        PRIMARY KEY (code, scope)
    );
    CREATE TABLE early_status_callbacks (
        id INTEGER PRIMARY KEY,
        sid TEXT NOT NULL,
        status TEXT NOT NULL,
        error_code TEXT,
        received_at TEXT NOT NULL
    );
    CREATE INDEX early_status_callbacks_sid ON early_status_callbacks (sid);
    ALTER TABLE alerts ADD COLUMN round_started_at TEXT;
    ALTER TABLE messages ADD COLUMN error_scope TEXT;
    CREATE INDEX messages_alert ON messages (alert_id) WHERE alert_id IS NOT NULL;
    """)


@MIGRATIONS()
def m004_caregivers_and_neuro_checks(db: Database) -> None:
    """Caregivers (up to two a patient, removed ones kept so old texts keep their sender), which
    caregiver wrote or was texted, and the daily neuro check's due times (one row a check)."""
    run_sql(db, """
    CREATE TABLE caregivers (
        id INTEGER PRIMARY KEY,
        patient_id INTEGER NOT NULL REFERENCES patients (id),
        name TEXT NOT NULL,
        phone TEXT NOT NULL,
        language TEXT NOT NULL CHECK (language IN ('en', 'es')),
        relationship TEXT,
        opted_out_at TEXT,
        created_at TEXT NOT NULL,
        removed_at TEXT
    );
    CREATE INDEX caregivers_phone ON caregivers (phone, removed_at);
    CREATE INDEX caregivers_patient ON caregivers (patient_id, removed_at);

    ALTER TABLE messages ADD COLUMN caregiver_id INTEGER REFERENCES caregivers (id);

    CREATE TABLE neuro_checks (
        id INTEGER PRIMARY KEY,
        patient_id INTEGER NOT NULL REFERENCES patients (id),
        episode_id INTEGER NOT NULL REFERENCES episodes (id),
        status TEXT NOT NULL CHECK (status IN ('scheduled', 'sent', 'normal', 'changed', 'missed', 'cancelled')),
        due_at TEXT NOT NULL,
        sent_at TEXT,
        answer_by TEXT,
        answered_at TEXT,
        caregiver_id INTEGER REFERENCES caregivers (id),
        message_id INTEGER REFERENCES messages (id),
        created_at TEXT NOT NULL
    );
    CREATE INDEX neuro_checks_due ON neuro_checks (status, due_at);
    CREATE INDEX neuro_checks_answer_by ON neuro_checks (status, answer_by);
    CREATE INDEX neuro_checks_episode ON neuro_checks (episode_id, status);
    """)


@MIGRATIONS()
def m005_patient_identifiers(db: Database) -> None:
    """Identifiers that tell two patients of the same name apart (staff pages only, never in a text)."""
    run_sql(db, """
    ALTER TABLE patients ADD COLUMN mrn TEXT;
    ALTER TABLE patients ADD COLUMN birth_date TEXT;
    CREATE UNIQUE INDEX patients_mrn ON patients (mrn) WHERE mrn IS NOT NULL;
    """)


@MIGRATIONS()
def m006_working_day(db: Database) -> None:
    """The clinic's working day: monitoring paused and ended early by staff, alert outcomes, ASTCT grades
    recorded on a patient, and the audit log read per subject (pause/resume/end show on the timeline)."""
    run_sql(db, """
    ALTER TABLE episodes ADD COLUMN paused_at TEXT;
    ALTER TABLE episodes ADD COLUMN pause_reason TEXT;
    ALTER TABLE episodes ADD COLUMN pause_until TEXT;
    ALTER TABLE episodes ADD COLUMN end_reason TEXT;
    ALTER TABLE episodes ADD COLUMN ended_by TEXT;
    CREATE INDEX episodes_paused ON episodes (status, pause_until) WHERE paused_at IS NOT NULL;
    ALTER TABLE alerts ADD COLUMN outcome TEXT;
    CREATE INDEX alerts_created ON alerts (created_at);
    CREATE INDEX audit_log_subject ON audit_log (subject, id);

    CREATE TABLE grades (
        id INTEGER PRIMARY KEY,
        patient_id INTEGER NOT NULL REFERENCES patients (id),
        episode_id INTEGER REFERENCES episodes (id),
        grade INTEGER NOT NULL CHECK (grade BETWEEN 0 AND 4),
        driver TEXT NOT NULL,
        inputs TEXT NOT NULL,
        graded_by TEXT NOT NULL,
        graded_at TEXT NOT NULL
    );
    CREATE INDEX grades_patient ON grades (patient_id, id);
    """)


@MIGRATIONS()
def m007_fhir_devices(db: Database) -> None:
    """FHIR devices: hub tokens (bound to a patient, or to the clinic with the patient named by MRN),
    each posted Observation once (same device, code and time), the advice texted from device readings
    (told once per change, not once a reading), and the temperature as the patient or device gave it."""
    run_sql(db, """
    CREATE TABLE devices (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        token_hash TEXT UNIQUE,
        patient_id INTEGER REFERENCES patients (id),
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_seen_at TEXT,
        revoked_at TEXT
    );

    CREATE TABLE device_observations (
        id INTEGER PRIMARY KEY,
        device_id INTEGER NOT NULL REFERENCES devices (id),
        patient_id INTEGER NOT NULL REFERENCES patients (id),
        reading_id INTEGER REFERENCES readings (id),
        code TEXT NOT NULL,
        effective_at TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (device_id, code, effective_at)
    );
    CREATE INDEX device_observations_reading ON device_observations (reading_id);

    CREATE TABLE device_advice (
        episode_id INTEGER PRIMARY KEY REFERENCES episodes (id),
        advice TEXT NOT NULL,
        level TEXT NOT NULL,
        reading_at TEXT NOT NULL,
        told_at TEXT NOT NULL
    );

    ALTER TABLE readings ADD COLUMN temperature_given REAL;
    ALTER TABLE readings ADD COLUMN temperature_unit TEXT;
    CREATE INDEX readings_created ON readings (created_at);
    CREATE INDEX readings_patient ON readings (patient_id, taken_at);
    """)


@MIGRATIONS()
def m008_security(db: Database) -> None:
    """Security (issue 16): dashboard sessions in the database, sign-in throttling by name and address,
    API tokens of their own (name, owner, last use, expiry; the staff row's single token moves there),
    and the append-only access log. The staff lockout columns go: throttling replaced the lockout."""
    run_sql(db, """
    CREATE TABLE staff_sessions (
        id INTEGER PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        staff_id INTEGER NOT NULL REFERENCES staff (id),
        created_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        ended_at TEXT,
        end_reason TEXT,
        source TEXT,
        user_agent TEXT
    );
    CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id, ended_at);

    CREATE TABLE signin_throttle (
        name TEXT NOT NULL,
        source TEXT NOT NULL,
        failures INTEGER NOT NULL,
        next_try_at TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (name, source)
    );
    CREATE INDEX signin_throttle_updated ON signin_throttle (updated_at);

    CREATE TABLE api_tokens (
        id INTEGER PRIMARY KEY,
        staff_id INTEGER NOT NULL REFERENCES staff (id),
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        last_used_at TEXT,
        expires_at TEXT NOT NULL,
        revoked_at TEXT,
        revoked_by TEXT
    );
    CREATE INDEX api_tokens_staff ON api_tokens (staff_id);
    INSERT INTO api_tokens (staff_id, name, token_hash, created_at, created_by, expires_at)
        SELECT id, 'first token', token_hash, created_at, 'migration',
               strftime('%Y-%m-%dT%H:%M:%f', created_at, '+365 days') || '000+00:00'
        FROM staff WHERE token_hash IS NOT NULL AND active = 1;
    UPDATE staff SET token_hash = NULL;
    ALTER TABLE staff DROP COLUMN failed_logins;
    ALTER TABLE staff DROP COLUMN locked_until;

    CREATE TABLE access_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        staff_id INTEGER REFERENCES staff (id),
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        patient_id INTEGER,
        source TEXT,
        detail TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX access_log_patient ON access_log (patient_id, id);
    CREATE INDEX access_log_staff ON access_log (staff_id, id);
    CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
    BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END;
    CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
    BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END;
    """)


@MIGRATIONS()
def m009_nurse_page_and_call(db: Database) -> None:
    """The nurse's page and call (issue 12): what the patient was told (the page says it), when an
    unacknowledged urgent alert calls the nurse, and each call's outcome."""
    run_sql(db, """
    ALTER TABLE alerts ADD COLUMN told TEXT;
    ALTER TABLE alerts ADD COLUMN call_due_at TEXT;
    ALTER TABLE messages ADD COLUMN outcome TEXT;
    CREATE INDEX alerts_call_due ON alerts (call_due_at) WHERE call_due_at IS NOT NULL;
    """)


@MIGRATIONS()
def m010_urgent_first(db: Database) -> None:
    """Urgent first at the sender (issue 19): each outbound text's delivery tier (monitoring.outbox.priority_of:
    0 pages and calls, 1 urgent replies, 2 other replies and notices, 3 prompts and reminders), and the queue
    read in that order without sorting it."""
    run_sql(db, """
    ALTER TABLE messages ADD COLUMN priority INTEGER NOT NULL DEFAULT 3;
    UPDATE messages SET priority = CASE kind WHEN 'alert' THEN 0 WHEN 'call' THEN 0 WHEN 'reply' THEN 2
        WHEN 'info' THEN 2 ELSE 3 END WHERE direction = 'out';
    CREATE INDEX messages_queue ON messages (priority, id) WHERE direction = 'out' AND status = 'queued';
    """)


@MIGRATIONS()
def m011_implausible_readings_blanked(db: Database) -> None:
    """A value no body shows, stored as a reading before monitoring.care blanked it (issue 14 fault 5: the
    parser read 109.5-110 F as 43.06-43.33 C, which timed check-ins as a fever and was charted): the value
    blanked and kept as the reading's flag, by triage.ranges' PLAUSIBLE_RANGES as they were when this shipped."""
    run_sql(db, """
    -- issue 14 fault 5: implausible values stored as readings
    UPDATE readings SET temperature_c = NULL, temperature_given = NULL, temperature_unit = NULL,
        implausible = CASE WHEN implausible LIKE '%"temperature_c"%' THEN implausible
                           ELSE json_insert(implausible, '$[#]', 'temperature_c') END
        WHERE temperature_c < 34 OR temperature_c > 43;
    UPDATE readings SET systolic = NULL,
        implausible = CASE WHEN implausible LIKE '%"systolic"%' THEN implausible
                           ELSE json_insert(implausible, '$[#]', 'systolic') END
        WHERE systolic < 50 OR systolic > 260;
    UPDATE readings SET diastolic = NULL,
        implausible = CASE WHEN implausible LIKE '%"diastolic"%' THEN implausible
                           ELSE json_insert(implausible, '$[#]', 'diastolic') END
        WHERE diastolic < 20 OR diastolic > 160;
    UPDATE readings SET spo2 = NULL,
        implausible = CASE WHEN implausible LIKE '%"spo2"%' THEN implausible
                           ELSE json_insert(implausible, '$[#]', 'spo2') END
        WHERE spo2 < 50 OR spo2 > 100;
    UPDATE readings SET heart_rate = NULL,
        implausible = CASE WHEN implausible LIKE '%"heart_rate"%' THEN implausible
                           ELSE json_insert(implausible, '$[#]', 'heart_rate') END
        WHERE heart_rate < 25 OR heart_rate > 250;
    """)


@MIGRATIONS()
def m012_hot_paths(db: Database) -> None:
    """The hot paths read what they need (issue 19). The episode keeps when its first CRS sign was reported
    (SOP 4 Workup's "duration of symptoms"), with the thresholds and baselines it was judged by, so triage
    never scans the episode for it; indexes for the fever-run and fever-advice reads, a device reading's
    newest row, the medications window and the caregiver's open neuro check (the outbox queue's index in
    delivery order is m010's messages_queue); and a settings version bumped by every change to the settings
    table, so a request reads the clinic's settings only when they changed (monitoring.clinic)."""
    run_sql(db, """
    ALTER TABLE episodes ADD COLUMN first_sign_at TEXT;
    ALTER TABLE episodes ADD COLUMN first_sign_key TEXT;
    CREATE INDEX readings_temperature ON readings (episode_id, temperature_c);
    CREATE INDEX readings_patient_newest ON readings (patient_id, id);
    CREATE INDEX medications_given ON medications (patient_id, given_at);
    CREATE INDEX neuro_checks_patient ON neuro_checks (patient_id, status);
    CREATE TABLE settings_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
    INSERT INTO settings_version (id, version) VALUES (1, 1);
    CREATE TRIGGER settings_version_insert AFTER INSERT ON settings
    BEGIN UPDATE settings_version SET version = version + 1 WHERE id = 1; END;
    CREATE TRIGGER settings_version_update AFTER UPDATE ON settings
    BEGIN UPDATE settings_version SET version = version + 1 WHERE id = 1; END;
    CREATE TRIGGER settings_version_delete AFTER DELETE ON settings
    BEGIN UPDATE settings_version SET version = version + 1 WHERE id = 1; END;
    """)


@MIGRATIONS()
def m013_neuro_checks_to_schedule(db: Database) -> None:
    """The episodes whose next daily neuro check may need scheduling, kept as state (issue 19): the tick reads
    this short list instead of every active episode. Triggers add an episode whenever it may newly need one,
    whoever writes: it starts, it resumes (or its end moves), a reachable caregiver is added or texts START,
    or its check is answered, missed or cancelled (monitoring.neuro_checks.schedule takes each off again,
    scheduling a check or not). Every active, unpaused episode starts on it, so a database migrated in place
    loses no check that was due."""
    run_sql(db, """
    CREATE TABLE neuro_checks_to_schedule (
        episode_id INTEGER PRIMARY KEY REFERENCES episodes (id) ON DELETE CASCADE
    );
    INSERT INTO neuro_checks_to_schedule (episode_id)
        SELECT id FROM episodes WHERE status = 'active' AND paused_at IS NULL;
    CREATE TRIGGER neuro_checks_to_schedule_episode_new AFTER INSERT ON episodes
    WHEN NEW.status = 'active' AND NEW.paused_at IS NULL
    BEGIN INSERT OR IGNORE INTO neuro_checks_to_schedule (episode_id) VALUES (NEW.id); END;
    CREATE TRIGGER neuro_checks_to_schedule_episode_resumed AFTER UPDATE OF status, paused_at, ends_at ON episodes
    WHEN NEW.status = 'active' AND NEW.paused_at IS NULL
    BEGIN INSERT OR IGNORE INTO neuro_checks_to_schedule (episode_id) VALUES (NEW.id); END;
    CREATE TRIGGER neuro_checks_to_schedule_caregiver_new AFTER INSERT ON caregivers
    WHEN NEW.removed_at IS NULL AND NEW.opted_out_at IS NULL
    BEGIN INSERT OR IGNORE INTO neuro_checks_to_schedule (episode_id)
        SELECT id FROM episodes WHERE patient_id = NEW.patient_id AND status = 'active'; END;
    CREATE TRIGGER neuro_checks_to_schedule_caregiver_back AFTER UPDATE OF removed_at, opted_out_at ON caregivers
    WHEN NEW.removed_at IS NULL AND NEW.opted_out_at IS NULL
    BEGIN INSERT OR IGNORE INTO neuro_checks_to_schedule (episode_id)
        SELECT id FROM episodes WHERE patient_id = NEW.patient_id AND status = 'active'; END;
    CREATE TRIGGER neuro_checks_to_schedule_check_closed AFTER UPDATE OF status ON neuro_checks
    WHEN OLD.status IN ('scheduled', 'sent') AND NEW.status NOT IN ('scheduled', 'sent')
    BEGIN INSERT OR IGNORE INTO neuro_checks_to_schedule (episode_id) VALUES (NEW.episode_id); END;
    CREATE TRIGGER neuro_checks_to_schedule_check_deleted AFTER DELETE ON neuro_checks
    WHEN OLD.status IN ('scheduled', 'sent')
    BEGIN INSERT OR IGNORE INTO neuro_checks_to_schedule (episode_id) VALUES (OLD.episode_id); END;
    """)


@MIGRATIONS()
def m014_messages_partial_indexes(db: Database) -> None:
    """Each text indexed only where it is looked for (issue 19): every messages row was in every index, so a
    text and its reply rewrote about 15 index pages of the 37 a text wrote to disk (the WAL), each copied
    again at the checkpoint. Now an inbound text is in the sender and still-unprocessed indexes, an outbound
    one in the recipient and delivery-state indexes; the unprocessed index holds only the texts still to be
    processed. Every query on them names the direction (tests/test_query_plans.py checks the plans)."""
    run_sql(db, """
    DROP INDEX messages_unprocessed;
    CREATE INDEX messages_unprocessed ON messages (id) WHERE direction = 'in' AND processed_at IS NULL;
    DROP INDEX messages_due;
    CREATE INDEX messages_due ON messages (status, next_attempt_at) WHERE direction = 'out';
    DROP INDEX messages_recipient;
    CREATE INDEX messages_recipient ON messages (to_number, created_at) WHERE direction = 'out';
    DROP INDEX messages_sender;
    CREATE INDEX messages_sender ON messages (from_number, created_at) WHERE direction = 'in';
    """)


@MIGRATIONS()
def m015_readings_fever_reads(db: Database) -> None:
    """The episode's readings in time order carry their temperature (issue 19): triage's two fever reads (the
    newest normal temperature, the first fever since; monitoring.care.history) walk this index and never the
    table, so a fever of days at a reading a minute costs microseconds a reading passed, not a row read each.
    Same leading columns as before, so every query that used readings_episode still does."""
    run_sql(db, """
    DROP INDEX readings_episode;
    CREATE INDEX readings_episode ON readings (episode_id, taken_at, id, temperature_c);
    """)


@MIGRATIONS()
def m016_fever_reset_kept(db: Database) -> None:
    """The episode keeps its fever's reset (issue 19): the newest normal temperature that acetaminophen does not
    explain (triage.fever_reset) among its readings taken at or before `fever_reset_through`, with the key it
    was judged by (the thresholds and the doses up to then; monitoring.care). Triage then walks only the
    readings since, so a fever of days at a reading a minute costs no more a text than a short one. Whoever
    writes a reading at or before `fever_reset_through` (a late reading, an edit, a deletion) clears it, and
    the next reading finds the reset again by the walk."""
    run_sql(db, """
    ALTER TABLE episodes ADD COLUMN fever_reset_through TEXT;
    ALTER TABLE episodes ADD COLUMN fever_reset_at TEXT;
    ALTER TABLE episodes ADD COLUMN fever_reset_c REAL;
    ALTER TABLE episodes ADD COLUMN fever_reset_key TEXT;
    CREATE TRIGGER readings_fever_reset_insert AFTER INSERT ON readings
    WHEN NEW.episode_id IS NOT NULL
    BEGIN UPDATE episodes SET fever_reset_through = NULL
        WHERE id = NEW.episode_id AND fever_reset_through >= NEW.taken_at; END;
    CREATE TRIGGER readings_fever_reset_update AFTER UPDATE OF episode_id, taken_at, temperature_c ON readings
    BEGIN UPDATE episodes SET fever_reset_through = NULL WHERE id IN (OLD.episode_id, NEW.episode_id); END;
    CREATE TRIGGER readings_fever_reset_delete AFTER DELETE ON readings
    BEGIN UPDATE episodes SET fever_reset_through = NULL WHERE id = OLD.episode_id; END;
    """)


@MIGRATIONS()
def m017_neuro_checks_counted_missed(db: Database) -> None:
    """A missed neuro check remembers that its miss is still in the episode's `missed_count`
    (`counted_missed`, 1 while it is): monitoring.neuro_checks.count_missed sets it when it adds the 1, and an
    answer that arrived before `answer_by` but was read after the miss (a text deferred by a flood or retried
    after a fault) takes that 1 back only then; silence that never happened must not page the nurse. Whoever
    resets the count to 0 (the patient's answer, a pause, a resume) clears it by the trigger, so an answer read
    after a reset never takes back a miss counted since. A check missed before this migration is not known to be
    counted: left at 0."""
    run_sql(db, """
    ALTER TABLE neuro_checks ADD COLUMN counted_missed INTEGER NOT NULL DEFAULT 0;
    CREATE TRIGGER neuro_checks_counted_missed_reset AFTER UPDATE OF missed_count ON episodes
    WHEN NEW.missed_count = 0 AND OLD.missed_count > 0
    BEGIN UPDATE neuro_checks SET counted_missed = 0 WHERE episode_id = NEW.id AND counted_missed = 1; END;
    """)


@MIGRATIONS()
def m018_alerts_message(db: Database) -> None:
    """The text whose processing opened the alert or last paged about it (`message_id`; NULL when no text did: the
    tick's missed check-ins, the app, a device). The page names that text's writer and quotes its words (issue
    13; monitoring.pagefacts), and re-pages and calls read the same: the newest text read so far is another when
    the tick retries an older text after a newer one was read."""
    run_sql(db, """
    ALTER TABLE alerts ADD COLUMN message_id INTEGER REFERENCES messages (id);
    """)


@MIGRATIONS()
def m019_alerts_reported_by(db: Database) -> None:
    """The last caregiver's text that opened the alert or paged about it (`reported_by_message_id`), kept when
    the app, a device or the tick adds a reason (their raise clears `message_id`): the re-pages and calls still
    say "Reported by caregiver (spouse)" with the number to call back (issue 13). NULL when no caregiver's text
    raised it."""
    run_sql(db, """
    ALTER TABLE alerts ADD COLUMN reported_by_message_id INTEGER REFERENCES messages (id);
    """)


@MIGRATIONS()
def m020_device_observations_by_value(db: Database) -> None:
    """A device's readings of one code at one moment are one per value (`value_key`, monitoring.device_readings):
    a wearable that stamps its readings to the minute, or a 'corrected' Observation, posts another value for the
    same moment, which is a reading of its own (an SpO2 of 85 after a 97 of the same minute must page: SOP 5,
    Grade 1 Home, line 64), not the first one's duplicate. Rows from before keep value_key '' and are matched by
    their reading's values."""
    run_sql(db, """
    CREATE TABLE device_observations_by_value (
        id INTEGER PRIMARY KEY,
        device_id INTEGER NOT NULL REFERENCES devices (id),
        patient_id INTEGER NOT NULL REFERENCES patients (id),
        reading_id INTEGER REFERENCES readings (id),
        code TEXT NOT NULL,
        effective_at TEXT NOT NULL,
        created_at TEXT NOT NULL,
        value_key TEXT NOT NULL DEFAULT '',
        UNIQUE (device_id, code, effective_at, value_key)
    );
    INSERT INTO device_observations_by_value (id, device_id, patient_id, reading_id, code, effective_at, created_at)
        SELECT id, device_id, patient_id, reading_id, code, effective_at, created_at FROM device_observations;
    DROP TABLE device_observations;
    ALTER TABLE device_observations_by_value RENAME TO device_observations;
    CREATE INDEX device_observations_reading ON device_observations (reading_id);
    """)


@MIGRATIONS()
def m021_messages_media(db: Database) -> None:
    """How many pictures (or other media) an inbound text carried (`media_count`: Twilio's NumMedia, an MMS;
    https://www.twilio.com/docs/messaging/guides/webhook-request). A patient on a cheap phone sends a photo of
    the thermometer: it is answered that only typed words are read (`reply_picture`), not "Sorry, I could not
    read that", and the nurse's timeline says a picture came. 0 for every text before this migration."""
    run_sql(db, """
    ALTER TABLE messages ADD COLUMN media_count INTEGER NOT NULL DEFAULT 0;
    """)


@MIGRATIONS()
def m022_waiting_texts_to_the_tick(db: Database) -> None:
    """Texts handed over to the scheduler now wait in the hand-over queue, a file beside the database
    (monitoring.inbound.hand_over_queue), not in messages with status 'waiting' (issue 19: the webhooks no longer
    share the write lock with the scheduler acting on texts). A text a stopped scheduler left 'waiting' under the
    code before becomes 'received': the tick's retries (monitoring.inbound.process_pending) act on it."""
    run_sql(db, """
    UPDATE messages SET status = 'received' WHERE direction = 'in' AND status = 'waiting' AND processed_at IS NULL;
    """)


@MIGRATIONS()
def m023_idempotency_keys(db: Database) -> None:
    """The patient app's reports by their `Idempotency-Key` header (monitoring.app_api.replayed_answer): a retry of
    a report whose answer was lost on the way back (a timeout, a tunnel) gets the first answer and records nothing
    again. A dose of acetaminophen reported twice counted twice toward the SOP's interval and daily total (SOP 5
    Grade 1 Home, line 64: repeat >= 6-8 h later): the patient was told the dose they took once was too soon.
    Kept IDEMPOTENCY_KEEP (24 h); `request_hash`: the endpoint and report (as validated: app_api._request_hash)
    the key was first sent with."""
    run_sql(db, """
    CREATE TABLE idempotency_keys (
        patient_id INTEGER NOT NULL REFERENCES patients(id),
        idempotency_key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        answer TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (patient_id, idempotency_key)
    );
    CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
    """)


@MIGRATIONS()
def m024_readings_said_earlier(db: Database) -> None:
    """A fever a text gives as earlier than its current temperature ("temp 101 at lunch, now 99") is stored as its
    own reading (monitoring.care.record_reading: it is the episode's CRS sign, SOP 4 Grading), marked so the nurse
    reads it as reported, not measured at that minute: `said_earlier` the time words beside it as written ("at 2pm",
    "this morning"; '' when none), NULL for a reading of the text's now; `earlier_timed` 1 when `taken_at` is the
    time the text gave, 0 when it gave none and `taken_at` is the latest the fever can have been (the text's
    arrival, or the midnight before it for "yesterday")."""
    run_sql(db, """
    ALTER TABLE readings ADD COLUMN said_earlier TEXT;
    ALTER TABLE readings ADD COLUMN earlier_timed INTEGER;
    """)
