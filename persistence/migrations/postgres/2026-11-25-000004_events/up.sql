-- The event outbox: every transition's typed event, written in the transaction of the change.
-- `seq` is gap-free and follows commit order (appends take a transaction-scoped lock), so a
-- reader following `seq` by cursor never misses an event nor sees one twice.
CREATE TABLE events (
    seq BIGINT PRIMARY KEY NOT NULL,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    public BOOLEAN NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    actor_user_id TEXT,
    actor_organization_id TEXT,
    request_id TEXT
);
CREATE INDEX events_subject ON events (subject_type, subject_id, seq);
CREATE INDEX events_public ON events (public, seq);

-- Which organizations may read an event that is not public (admins read every event).
CREATE TABLE event_readers (
    organization_id TEXT NOT NULL,
    seq BIGINT NOT NULL REFERENCES events (seq),
    PRIMARY KEY (organization_id, seq)
);

ALTER TABLE audit_events ADD COLUMN event_seq BIGINT;

-- Applications received outside the platform (PEC, by hand, by post, by courier), recorded by
-- the staff of an issuing authority with the instant they arrived.
CREATE TABLE application_recordings (
    application_id TEXT PRIMARY KEY NOT NULL REFERENCES applications (id),
    channel TEXT NOT NULL CHECK (channel IN ('pec', 'hand', 'post', 'courier')),
    received_at TIMESTAMP NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES organizations (id)
);

-- Questions are versioned like every other resource: answers honour If-Match.
ALTER TABLE tender_questions ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
