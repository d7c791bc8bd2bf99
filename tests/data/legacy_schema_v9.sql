-- A database as crswatch made it before migrations moved to sqlite-utils (commit 9a3d9cf): the old runner's
-- schema_migrations table at version 9, one staff member and one enrolled patient (fictional). Dumped with
-- sqlite3's iterdump; tests/test_migrations.py upgrades it in place.
BEGIN TRANSACTION;
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
CREATE TABLE alert_events (
        id INTEGER PRIMARY KEY,
        alert_id INTEGER NOT NULL REFERENCES alerts (id),
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        actor TEXT,
        detail TEXT NOT NULL DEFAULT '{}'
    );
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
    , round_started_at TEXT, outcome TEXT, told TEXT, call_due_at TEXT);
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
INSERT INTO "api_tokens" VALUES(1,1,'first token','6710cd705f08e3aefd042cd59054c846b03216b765aa132ecc8153baf12b797b','2026-03-01T12:00:00.000000+00:00','legacy-fixture',NULL,'2027-03-01T12:00:00.000000+00:00',NULL,NULL);
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
CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT,
        detail TEXT NOT NULL DEFAULT '{}'
    );
INSERT INTO "audit_log" VALUES(1,'2026-03-01T12:00:00.000000+00:00','legacy-fixture','staff.add','Old Nurse','{"role": "nurse"}');
INSERT INTO "audit_log" VALUES(2,'2026-03-01T12:00:00.000000+00:00','legacy-fixture','token.issue','Old Nurse','{"days": 365, "token": "first token"}');
INSERT INTO "audit_log" VALUES(3,'2026-03-01T12:00:00.000000+00:00','legacy-fixture','patient.enroll','patient:1','{"episode": 1}');
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
CREATE TABLE device_advice (
        episode_id INTEGER PRIMARY KEY REFERENCES episodes (id),
        advice TEXT NOT NULL,
        level TEXT NOT NULL,
        reading_at TEXT NOT NULL,
        told_at TEXT NOT NULL
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
CREATE TABLE early_status_callbacks (
        id INTEGER PRIMARY KEY,
        sid TEXT NOT NULL,
        status TEXT NOT NULL,
        error_code TEXT,
        received_at TEXT NOT NULL
    );
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
    , paused_at TEXT, pause_reason TEXT, pause_until TEXT, end_reason TEXT, ended_by TEXT);
INSERT INTO "episodes" VALUES(1,1,'teclistamab step-up 1','2026-03-01T12:00:00.000000+00:00','2026-03-04T12:00:00.000000+00:00','active','2026-03-01T12:00:00.000000+00:00',NULL,0,0,NULL,'2026-03-01T12:00:00.000000+00:00',NULL,NULL,NULL,NULL,NULL,NULL);
CREATE TABLE gateway_errors (
        code TEXT NOT NULL,
        scope TEXT NOT NULL CHECK (scope IN ('message', 'recipient', 'account', 'network')),
        count INTEGER NOT NULL DEFAULT 0,
        last_at TEXT NOT NULL,
        last_message TEXT,
        PRIMARY KEY (code, scope)
    );
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
CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
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
    , error_scope TEXT, caregiver_id INTEGER REFERENCES caregivers (id), outcome TEXT);
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
    , mrn TEXT, birth_date TEXT);
INSERT INTO "patients" VALUES(1,'Old Patient','+15555550123','en','52c67f04b588676565ebde84106af90312c9145762cf85e8253052863373d881',NULL,NULL,0,'[]',NULL,NULL,'2026-03-01T12:00:00.000000+00:00',NULL,NULL);
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
    , temperature_given REAL, temperature_unit TEXT);
CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
INSERT INTO "schema_migrations" VALUES(1,'2026-03-01T12:00:00.000000+00:00');
INSERT INTO "schema_migrations" VALUES(2,'2026-03-01T12:00:00.000000+00:00');
INSERT INTO "schema_migrations" VALUES(3,'2026-03-01T12:00:00.000000+00:00');
INSERT INTO "schema_migrations" VALUES(4,'2026-03-01T12:00:00.000000+00:00');
INSERT INTO "schema_migrations" VALUES(5,'2026-03-01T12:00:00.000000+00:00');
INSERT INTO "schema_migrations" VALUES(6,'2026-03-01T12:00:00.000000+00:00');
INSERT INTO "schema_migrations" VALUES(7,'2026-03-01T12:00:00.000000+00:00');
INSERT INTO "schema_migrations" VALUES(8,'2026-03-01T12:00:00.000000+00:00');
INSERT INTO "schema_migrations" VALUES(9,'2026-03-01T12:00:00.000000+00:00');
CREATE TABLE service_state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_by TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
CREATE TABLE signin_throttle (
        name TEXT NOT NULL,
        source TEXT NOT NULL,
        failures INTEGER NOT NULL,
        next_try_at TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (name, source)
    );
CREATE TABLE staff (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('nurse', 'admin')),
        phone TEXT,
        token_hash TEXT UNIQUE,
        password_hash TEXT,
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
INSERT INTO "staff" VALUES(1,'Old Nurse','nurse','+15555550142',NULL,NULL,1,'2026-03-01T12:00:00.000000+00:00',NULL);
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
CREATE INDEX patients_phone ON patients (phone);
CREATE INDEX episodes_active ON episodes (status, next_checkin_at);
CREATE INDEX episodes_open_checkin ON episodes (status, checkin_sent_at);
CREATE INDEX episodes_ends ON episodes (status, ends_at);
CREATE INDEX episodes_patient ON episodes (patient_id);
CREATE INDEX messages_due ON messages (status, next_attempt_at);
CREATE INDEX messages_patient ON messages (patient_id, id);
CREATE INDEX messages_unprocessed ON messages (direction, processed_at);
CREATE INDEX messages_recipient ON messages (to_number, created_at);
CREATE INDEX readings_episode ON readings (episode_id, taken_at);
CREATE INDEX medications_patient ON medications (patient_id, name, given_at);
CREATE INDEX alerts_due ON alerts (status, next_page_at);
CREATE INDEX alerts_patient ON alerts (patient_id, status);
CREATE INDEX alert_events_alert ON alert_events (alert_id, id);
CREATE INDEX assessments_patient ON assessments (patient_id, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE INDEX messages_sender ON messages (from_number, created_at);
CREATE INDEX early_status_callbacks_sid ON early_status_callbacks (sid);
CREATE INDEX messages_alert ON messages (alert_id) WHERE alert_id IS NOT NULL;
CREATE INDEX caregivers_phone ON caregivers (phone, removed_at);
CREATE INDEX caregivers_patient ON caregivers (patient_id, removed_at);
CREATE INDEX neuro_checks_due ON neuro_checks (status, due_at);
CREATE INDEX neuro_checks_answer_by ON neuro_checks (status, answer_by);
CREATE INDEX neuro_checks_episode ON neuro_checks (episode_id, status);
CREATE UNIQUE INDEX patients_mrn ON patients (mrn) WHERE mrn IS NOT NULL;
CREATE INDEX episodes_paused ON episodes (status, pause_until) WHERE paused_at IS NOT NULL;
CREATE INDEX alerts_created ON alerts (created_at);
CREATE INDEX audit_log_subject ON audit_log (subject, id);
CREATE INDEX grades_patient ON grades (patient_id, id);
CREATE INDEX device_observations_reading ON device_observations (reading_id);
CREATE INDEX readings_created ON readings (created_at);
CREATE INDEX readings_patient ON readings (patient_id, taken_at);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id, ended_at);
CREATE INDEX signin_throttle_updated ON signin_throttle (updated_at);
CREATE INDEX api_tokens_staff ON api_tokens (staff_id);
CREATE INDEX access_log_patient ON access_log (patient_id, id);
CREATE INDEX access_log_staff ON access_log (staff_id, id);
CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
    BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
    BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END;
CREATE INDEX alerts_call_due ON alerts (call_due_at) WHERE call_due_at IS NOT NULL;
COMMIT;
