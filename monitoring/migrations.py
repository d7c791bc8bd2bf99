"""Versioned schema migrations. Append a new script; never edit one that has shipped.

Times are UTC ISO 8601 text (see monitoring.store). JSON columns hold lists of codes.
"""

MIGRATIONS: list[str] = [
    # 1: the first schema
    """
    CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);

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
    """,
    # 2: inbound texts counted per sender (the flood limit)
    """
    CREATE INDEX messages_sender ON messages (from_number, created_at);
    """,
    # 3: escalation under faults: what the operator is told, callbacks that overtake their send, and
    # paging rounds that forget a failed phone at the next re-page
    """
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
    """,
    # 4: the nurse's page and call (issue 12): what the patient was told (the page says it), when an
    # unacknowledged urgent alert calls the nurse, and each call's outcome
    """
    ALTER TABLE alerts ADD COLUMN told TEXT;
    ALTER TABLE alerts ADD COLUMN call_due_at TEXT;
    ALTER TABLE messages ADD COLUMN outcome TEXT;
    CREATE INDEX alerts_call_due ON alerts (call_due_at) WHERE call_due_at IS NOT NULL;
    """,
]
