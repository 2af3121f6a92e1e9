-- Providers' mediators and the languages they speak (ISO 639 codes, comma-separated).
CREATE TABLE mediators (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    languages TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX mediators_provider ON mediators (provider_id, id);

-- Mediation requests: what the lists filter on here, the rest in the details; offers,
-- the confirmation and how it ended beside.
CREATE TABLE mediation_requests (
    id TEXT PRIMARY KEY NOT NULL,
    authority_id TEXT NOT NULL REFERENCES organizations (id),
    requested_by TEXT NOT NULL REFERENCES organizations (id),
    istat_code TEXT NOT NULL REFERENCES municipalities (istat_code),
    context TEXT NOT NULL CHECK (context IN ('social', 'socio_health', 'health', 'school')),
    mode TEXT NOT NULL CHECK (mode IN ('in_person', 'phone', 'video', 'written_translation')),
    language TEXT NOT NULL,
    urgent BOOLEAN NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    minutes INTEGER NOT NULL,
    reported_in TEXT,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT,
    version BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX mediation_requests_authority ON mediation_requests (authority_id, starts_at);
CREATE INDEX mediation_requests_requested_by ON mediation_requests (requested_by, starts_at);

CREATE TABLE mediation_request_details (
    request_id TEXT PRIMARY KEY NOT NULL REFERENCES mediation_requests (id),
    service TEXT NOT NULL,
    contact TEXT NOT NULL,
    operator TEXT NOT NULL,
    reason TEXT NOT NULL,
    nationality TEXT,
    place TEXT,
    initials TEXT,
    beneficiary_id TEXT REFERENCES beneficiaries (id)
);

CREATE TABLE mediation_offers (
    request_id TEXT NOT NULL REFERENCES mediation_requests (id),
    number INTEGER NOT NULL,
    provider_id TEXT NOT NULL REFERENCES organizations (id),
    patto_id TEXT NOT NULL REFERENCES patti (id),
    offered_at TIMESTAMP NOT NULL,
    declined_at TIMESTAMP,
    decline_note TEXT,
    PRIMARY KEY (request_id, number)
);
CREATE INDEX mediation_offers_provider ON mediation_offers (provider_id, request_id);

CREATE TABLE mediation_confirmations (
    request_id TEXT PRIMARY KEY NOT NULL REFERENCES mediation_requests (id),
    provider_id TEXT NOT NULL REFERENCES organizations (id),
    patto_id TEXT NOT NULL REFERENCES patti (id),
    mediator_id TEXT NOT NULL REFERENCES mediators (id),
    mediator_name TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    minutes INTEGER NOT NULL,
    confirmed_at TIMESTAMP NOT NULL,
    confirmed_by TEXT
);

CREATE TABLE mediation_endings (
    request_id TEXT PRIMARY KEY NOT NULL REFERENCES mediation_requests (id),
    outcome TEXT NOT NULL CHECK (outcome IN ('delivered', 'cancelled', 'no_show')),
    started_at TIMESTAMP,
    minutes INTEGER,
    pages INTEGER,
    late BOOLEAN NOT NULL,
    note TEXT NOT NULL,
    ended_at TIMESTAMP NOT NULL,
    ended_by TEXT
);

-- Delivery reports: one per provider, voucher and month, or per provider, authority and month
-- for mediation (`natural_key`); their revisions and lines, each line's cost once validated.
CREATE TABLE delivery_reports (
    id TEXT PRIMARY KEY NOT NULL,
    natural_key TEXT NOT NULL UNIQUE,
    provider_id TEXT NOT NULL REFERENCES organizations (id),
    authority_id TEXT NOT NULL REFERENCES organizations (id),
    month TEXT NOT NULL,
    subject TEXT NOT NULL CHECK (subject IN ('voucher', 'mediation')),
    request_id TEXT REFERENCES service_requests (id),
    voucher_id TEXT REFERENCES vouchers (id),
    istat_code TEXT,
    validated_at TIMESTAMP,
    validated_by TEXT,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX delivery_reports_authority ON delivery_reports (authority_id, month);
CREATE INDEX delivery_reports_provider ON delivery_reports (provider_id, month);

CREATE TABLE delivery_report_revisions (
    report_id TEXT NOT NULL REFERENCES delivery_reports (id),
    number INTEGER NOT NULL,
    over_reason TEXT,
    submitted_at TIMESTAMP NOT NULL,
    submitted_by TEXT,
    contested_at TIMESTAMP,
    contested_by TEXT,
    PRIMARY KEY (report_id, number)
);

CREATE TABLE delivery_report_lines (
    report_id TEXT NOT NULL REFERENCES delivery_reports (id),
    revision INTEGER NOT NULL,
    position INTEGER NOT NULL,
    date TEXT NOT NULL,
    intervention_code TEXT NOT NULL REFERENCES interventions (code),
    quantity INTEGER NOT NULL,
    mediation_request_id TEXT REFERENCES mediation_requests (id),
    contest_reason TEXT,
    rate_cents BIGINT,
    amount_cents BIGINT,
    family_cents BIGINT,
    authority_cents BIGINT,
    PRIMARY KEY (report_id, revision, position)
);
