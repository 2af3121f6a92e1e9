-- The rounds of a call: a provider list is filled in successive submission windows, each
-- concluded by an act (determina) that approves its admissions.
CREATE TABLE tender_rounds (
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    number INTEGER NOT NULL,
    opened_at TIMESTAMP NOT NULL,
    submission_deadline TIMESTAMP NOT NULL,
    clarification_deadline TIMESTAMP NOT NULL,
    concluded_at TIMESTAMP,
    act_number TEXT,
    act_date TEXT,
    PRIMARY KEY (tender_id, number)
);
INSERT INTO tender_rounds (tender_id, number, opened_at, submission_deadline, clarification_deadline, concluded_at)
SELECT id, 1, published_at, submission_deadline, clarification_deadline,
       CASE WHEN state = 'concluded' THEN updated_at END
FROM tenders WHERE published_at IS NOT NULL;

-- Accreditations: the round and act that added each; their life is in `measures`.
-- Where an accreditation stands is derived from its measures, certificates and the clock.
ALTER TABLE accreditations DROP COLUMN status;
ALTER TABLE accreditations ADD COLUMN round INTEGER NOT NULL DEFAULT 1;
ALTER TABLE accreditations ADD COLUMN act_number TEXT;
ALTER TABLE accreditations ADD COLUMN act_date TEXT;
ALTER TABLE accreditations ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
CREATE INDEX accreditations_item ON accreditations (intervention_code, istat_code);
CREATE INDEX accreditations_tender ON accreditations (tender_id, id);

-- Suspensions, reinstatements and revocations of accreditations and patti, never overwritten:
-- the registry as it stood at any instant is derived from them.
CREATE TABLE measures (
    id TEXT PRIMARY KEY NOT NULL,
    subject_type TEXT NOT NULL CHECK (subject_type IN ('accreditation', 'patto')),
    subject_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('suspension', 'reinstatement', 'revocation')),
    reason TEXT NOT NULL,
    effective_from TIMESTAMP NOT NULL,
    effective_until TIMESTAMP,
    act_number TEXT,
    act_date TEXT,
    recorded_at TIMESTAMP NOT NULL,
    recorded_by TEXT
);
CREATE INDEX measures_subject ON measures (subject_type, subject_id, id);

-- Providers' certificates with an expiry (DURC, registrations), and staff's confirmations after
-- a lapse.
CREATE TABLE provider_certificates (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES organizations (id),
    kind TEXT NOT NULL CHECK (kind IN ('durc', 'chamber_of_commerce', 'social_cooperatives_register', 'runts')),
    reference TEXT,
    valid_from TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    document_id TEXT,
    recorded_at TIMESTAMP NOT NULL,
    recorded_by TEXT
);
CREATE INDEX provider_certificates_provider ON provider_certificates (provider_id, id);

CREATE TABLE requirement_confirmations (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES organizations (id),
    authority_id TEXT NOT NULL REFERENCES organizations (id),
    act_number TEXT,
    act_date TEXT,
    note TEXT,
    confirmed_at TIMESTAMP NOT NULL,
    confirmed_by TEXT
);
CREATE INDEX requirement_confirmations_provider ON requirement_confirmations (provider_id, id);

-- Patti: the agreement over accreditations, its versions (the original and each amendment),
-- their scope, rates and signatures.
CREATE TABLE patti (
    id TEXT PRIMARY KEY NOT NULL,
    number TEXT NOT NULL,
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    provider_id TEXT NOT NULL REFERENCES organizations (id),
    authority_id TEXT NOT NULL REFERENCES organizations (id),
    valid_from TEXT NOT NULL,
    valid_to TEXT NOT NULL,
    obligations TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (authority_id, number)
);
CREATE INDEX patti_provider ON patti (provider_id, id);
CREATE INDEX patti_tender ON patti (tender_id, id);

CREATE TABLE patto_versions (
    patto_id TEXT NOT NULL REFERENCES patti (id),
    number INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('original', 'rate_change', 'scope_reduction')),
    effective_from TEXT NOT NULL,
    rationale TEXT,
    proposed_at TIMESTAMP NOT NULL,
    proposed_by TEXT,
    PRIMARY KEY (patto_id, number)
);

CREATE TABLE patto_scope (
    patto_id TEXT NOT NULL REFERENCES patti (id),
    version INTEGER NOT NULL,
    intervention_code TEXT NOT NULL,
    istat_code TEXT NOT NULL,
    PRIMARY KEY (patto_id, version, intervention_code, istat_code)
);
CREATE INDEX patto_scope_item ON patto_scope (intervention_code, istat_code);

CREATE TABLE patto_rates (
    patto_id TEXT NOT NULL REFERENCES patti (id),
    version INTEGER NOT NULL,
    intervention_code TEXT NOT NULL,
    unit TEXT NOT NULL,
    rate_cents BIGINT NOT NULL CHECK (rate_cents >= 0),
    PRIMARY KEY (patto_id, version, intervention_code)
);

CREATE TABLE patto_signatures (
    patto_id TEXT NOT NULL REFERENCES patti (id),
    version INTEGER NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('provider', 'authority')),
    signed_by TEXT,
    signed_at TIMESTAMP NOT NULL,
    document_id TEXT,
    PRIMARY KEY (patto_id, version, side)
);

-- Documents of patti (signed copies) and of certificates too: SQLite changes a CHECK by
-- rebuilding the table.
CREATE TABLE documents_new (
    id TEXT PRIMARY KEY NOT NULL,
    owner_type TEXT NOT NULL CHECK (owner_type IN ('tender', 'application', 'patto', 'certificate')),
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
INSERT INTO documents_new SELECT * FROM documents;
DROP TABLE documents;
ALTER TABLE documents_new RENAME TO documents;
CREATE INDEX documents_owner ON documents (owner_type, owner_id, id);
