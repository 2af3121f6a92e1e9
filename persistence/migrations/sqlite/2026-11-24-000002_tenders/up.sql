CREATE TABLE tenders (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('accreditation', 'provider_list')),
    state TEXT NOT NULL CHECK (state IN ('draft', 'published', 'concluded', 'cancelled')),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    reference_code TEXT,
    responsible_official TEXT NOT NULL,
    submission_deadline TIMESTAMP NOT NULL,
    clarification_deadline TIMESTAMP NOT NULL,
    validity_from TEXT NOT NULL,
    validity_to TEXT NOT NULL,
    cancel_reason TEXT,
    published_at TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX tenders_state ON tenders (state, id);

CREATE TABLE tender_authorities (
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    authority_id TEXT NOT NULL REFERENCES organizations (id),
    position INTEGER NOT NULL,
    PRIMARY KEY (tender_id, authority_id)
);
CREATE INDEX tender_authorities_authority ON tender_authorities (authority_id, tender_id);

CREATE TABLE tender_districts (
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    district_id TEXT NOT NULL REFERENCES districts (id),
    PRIMARY KEY (tender_id, district_id)
);

CREATE TABLE tender_municipalities (
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    istat_code TEXT NOT NULL REFERENCES municipalities (istat_code),
    PRIMARY KEY (tender_id, istat_code)
);

CREATE TABLE tender_interventions (
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    intervention_code TEXT NOT NULL REFERENCES interventions (code),
    unit TEXT NOT NULL,
    rate_cents BIGINT NOT NULL CHECK (rate_cents >= 0),
    position INTEGER NOT NULL,
    PRIMARY KEY (tender_id, intervention_code)
);

CREATE TABLE tender_requirements (
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    code TEXT NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('general', 'specific')),
    description TEXT NOT NULL,
    document_type TEXT,
    position INTEGER NOT NULL,
    PRIMARY KEY (tender_id, code)
);

CREATE TABLE tender_amendments (
    id TEXT PRIMARY KEY NOT NULL,
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    reason TEXT NOT NULL,
    material BOOLEAN NOT NULL,
    changes_json TEXT NOT NULL,
    amended_at TIMESTAMP NOT NULL,
    amended_by TEXT
);
CREATE INDEX tender_amendments_tender ON tender_amendments (tender_id, id);

CREATE TABLE tender_questions (
    id TEXT PRIMARY KEY NOT NULL,
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    asked_by_organization TEXT NOT NULL REFERENCES organizations (id),
    question TEXT NOT NULL,
    asked_at TIMESTAMP NOT NULL,
    answer TEXT,
    answered_at TIMESTAMP,
    answered_by TEXT
);
CREATE INDEX tender_questions_tender ON tender_questions (tender_id, id);

CREATE TABLE documents (
    id TEXT PRIMARY KEY NOT NULL,
    owner_type TEXT NOT NULL CHECK (owner_type IN ('tender', 'application')),
    owner_id TEXT NOT NULL,
    document_type TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    uploaded_at TIMESTAMP NOT NULL,
    uploaded_by TEXT
);
CREATE INDEX documents_owner ON documents (owner_type, owner_id, id);

CREATE TABLE applications (
    id TEXT PRIMARY KEY NOT NULL,
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    provider_id TEXT NOT NULL REFERENCES organizations (id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'withdrawn', 'replaced', 'integration_requested', 'admitted', 'excluded')),
    needs_confirmation BOOLEAN NOT NULL,
    protocol_number TEXT,
    submitted_at TIMESTAMP,
    snapshot_sha256 TEXT,
    decision_reason TEXT,
    decision_text TEXT,
    decided_at TIMESTAMP,
    decided_by TEXT,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX applications_tender ON applications (tender_id, id);
CREATE INDEX applications_provider ON applications (provider_id, id);

CREATE TABLE application_scope (
    application_id TEXT NOT NULL REFERENCES applications (id),
    intervention_code TEXT NOT NULL,
    istat_code TEXT NOT NULL,
    admitted BOOLEAN NOT NULL,
    PRIMARY KEY (application_id, intervention_code, istat_code)
);

CREATE TABLE application_declarations (
    application_id TEXT NOT NULL REFERENCES applications (id),
    requirement_code TEXT NOT NULL,
    accepted BOOLEAN NOT NULL,
    note TEXT,
    PRIMARY KEY (application_id, requirement_code)
);

CREATE TABLE protocol_counters (
    authority_id TEXT NOT NULL REFERENCES organizations (id),
    year INTEGER NOT NULL,
    last_number BIGINT NOT NULL,
    PRIMARY KEY (authority_id, year)
);

-- Every submission and integration answer, frozen: the protocol number, when it arrived, and
-- the SHA-256 of exactly what was received.
CREATE TABLE submissions (
    id TEXT PRIMARY KEY NOT NULL,
    application_id TEXT NOT NULL REFERENCES applications (id),
    kind TEXT NOT NULL CHECK (kind IN ('submission', 'integration')),
    authority_id TEXT NOT NULL REFERENCES organizations (id),
    protocol_year INTEGER NOT NULL,
    protocol_sequence BIGINT NOT NULL,
    protocol_number TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    snapshot_json TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    UNIQUE (authority_id, protocol_year, protocol_sequence)
);
CREATE INDEX submissions_application ON submissions (application_id, id);

CREATE TABLE integration_requests (
    id TEXT PRIMARY KEY NOT NULL,
    application_id TEXT NOT NULL REFERENCES applications (id),
    missing TEXT NOT NULL,
    due_at TIMESTAMP NOT NULL,
    requested_at TIMESTAMP NOT NULL,
    requested_by TEXT,
    answered_at TIMESTAMP
);
CREATE INDEX integration_requests_application ON integration_requests (application_id, id);

CREATE TABLE accreditations (
    id TEXT PRIMARY KEY NOT NULL,
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    application_id TEXT NOT NULL REFERENCES applications (id),
    provider_id TEXT NOT NULL REFERENCES organizations (id),
    intervention_code TEXT NOT NULL REFERENCES interventions (code),
    istat_code TEXT NOT NULL REFERENCES municipalities (istat_code),
    valid_from TEXT NOT NULL,
    valid_to TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'revoked', 'lapsed')),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (tender_id, provider_id, intervention_code, istat_code)
);
CREATE INDEX accreditations_provider ON accreditations (provider_id, id);
