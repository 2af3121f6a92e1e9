-- Beneficiaries: the people families' requests are for. Special-category personal data: it is
-- read through the access policy only, and every read and change is in `personal_data_access`.
CREATE TABLE beneficiaries (
    id TEXT PRIMARY KEY NOT NULL,
    authority_id TEXT NOT NULL REFERENCES organizations (id),
    codice_fiscale TEXT NOT NULL,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    residence TEXT NOT NULL REFERENCES municipalities (istat_code),
    address TEXT NOT NULL,
    phone TEXT,
    email TEXT,
    household TEXT NOT NULL,
    situation TEXT NOT NULL,
    registered_by TEXT NOT NULL REFERENCES organizations (id),
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (authority_id, codice_fiscale)
);
CREATE INDEX beneficiaries_registered_by ON beneficiaries (registered_by, id);

CREATE TABLE isee_records (
    id TEXT PRIMARY KEY NOT NULL,
    beneficiary_id TEXT NOT NULL REFERENCES beneficiaries (id),
    kind TEXT NOT NULL CHECK (kind IN ('ordinary', 'socio_sanitario', 'minors')),
    value_cents BIGINT NOT NULL,
    dsu_protocol TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    recorded_by TEXT
);
CREATE INDEX isee_records_beneficiary ON isee_records (beneficiary_id, id);

-- Who read or changed which fields of whose record, for which request (GDPR art. 15).
CREATE TABLE personal_data_access (
    id TEXT PRIMARY KEY NOT NULL,
    beneficiary_id TEXT NOT NULL REFERENCES beneficiaries (id),
    at TIMESTAMP NOT NULL,
    user_id TEXT,
    organization_id TEXT,
    action TEXT NOT NULL CHECK (action IN ('read', 'create', 'update')),
    fields TEXT NOT NULL,
    service_request_id TEXT,
    request_id TEXT
);
CREATE INDEX personal_data_access_beneficiary ON personal_data_access (beneficiary_id, id);

-- Co-payment rules per authority and intervention, in versions; the formula as JSON.
CREATE TABLE copayment_rules (
    id TEXT PRIMARY KEY NOT NULL,
    authority_id TEXT NOT NULL REFERENCES organizations (id),
    intervention_code TEXT NOT NULL REFERENCES interventions (code),
    version INTEGER NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    isee_kind TEXT NOT NULL CHECK (isee_kind IN ('ordinary', 'socio_sanitario', 'minors')),
    formula TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT,
    UNIQUE (authority_id, intervention_code, version)
);

CREATE TABLE service_requests (
    id TEXT PRIMARY KEY NOT NULL,
    beneficiary_id TEXT NOT NULL REFERENCES beneficiaries (id),
    authority_id TEXT NOT NULL REFERENCES organizations (id),
    requested_by TEXT NOT NULL REFERENCES organizations (id),
    istat_code TEXT NOT NULL REFERENCES municipalities (istat_code),
    age_band TEXT NOT NULL,
    desired_start TEXT NOT NULL,
    care_plan TEXT NOT NULL,
    urgency TEXT NOT NULL CHECK (urgency IN ('ordinary', 'urgent')),
    submitted_at TIMESTAMP NOT NULL,
    submitted_by TEXT,
    closed_at TIMESTAMP,
    version BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX service_requests_authority ON service_requests (authority_id, id);
CREATE INDEX service_requests_requested_by ON service_requests (requested_by, id);
CREATE INDEX service_requests_beneficiary ON service_requests (beneficiary_id, id);

-- A request's assessment and closure, written once each.
CREATE TABLE service_request_assessments (
    request_id TEXT PRIMARY KEY NOT NULL REFERENCES service_requests (id),
    outcome TEXT NOT NULL CHECK (outcome IN ('eligible', 'ineligible')),
    ineligible_reason TEXT,
    explanation TEXT,
    assessed_at TIMESTAMP NOT NULL,
    assessed_by TEXT
);

CREATE TABLE service_request_closures (
    request_id TEXT PRIMARY KEY NOT NULL REFERENCES service_requests (id),
    reason TEXT NOT NULL,
    note TEXT NOT NULL,
    closed_at TIMESTAMP NOT NULL,
    closed_by TEXT
);

CREATE TABLE service_request_items (
    request_id TEXT NOT NULL REFERENCES service_requests (id),
    position INTEGER NOT NULL,
    intervention_code TEXT NOT NULL REFERENCES interventions (code),
    units INTEGER NOT NULL,
    period TEXT NOT NULL CHECK (period IN ('week', 'month')),
    PRIMARY KEY (request_id, position)
);

CREATE TABLE service_request_integrations (
    request_id TEXT NOT NULL REFERENCES service_requests (id),
    number INTEGER NOT NULL,
    message TEXT NOT NULL,
    due_on TEXT NOT NULL,
    requested_at TIMESTAMP NOT NULL,
    requested_by TEXT,
    answer TEXT,
    answered_at TIMESTAMP,
    answered_by TEXT,
    PRIMARY KEY (request_id, number)
);

CREATE TABLE service_request_suspensions (
    request_id TEXT NOT NULL REFERENCES service_requests (id),
    number INTEGER NOT NULL,
    from_date TEXT NOT NULL,
    until_date TEXT,
    reason TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    recorded_by TEXT,
    resumed_on TEXT,
    PRIMARY KEY (request_id, number)
);

-- Vouchers are written once, when granted; the co-payment of their first day, as granted, is
-- frozen in them.
CREATE TABLE vouchers (
    id TEXT PRIMARY KEY NOT NULL,
    request_id TEXT NOT NULL REFERENCES service_requests (id),
    position INTEGER NOT NULL,
    intervention_code TEXT NOT NULL REFERENCES interventions (code),
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    unit TEXT NOT NULL,
    units INTEGER NOT NULL,
    period TEXT NOT NULL CHECK (period IN ('week', 'month')),
    rate_cents BIGINT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT NOT NULL,
    granted_rule_id TEXT NOT NULL REFERENCES copayment_rules (id),
    granted_rule_version INTEGER NOT NULL,
    granted_isee_id TEXT REFERENCES isee_records (id),
    granted_family_cents BIGINT NOT NULL,
    granted_authority_cents BIGINT NOT NULL
);
CREATE INDEX vouchers_request ON vouchers (request_id, position);

CREATE TABLE voucher_choices (
    voucher_id TEXT NOT NULL REFERENCES vouchers (id),
    number INTEGER NOT NULL,
    provider_id TEXT NOT NULL REFERENCES organizations (id),
    patto_id TEXT NOT NULL REFERENCES patti (id),
    chosen_at TIMESTAMP NOT NULL,
    chosen_by TEXT,
    answer TEXT CHECK (answer IN ('accepted', 'declined')),
    start_date TEXT,
    decline_reason TEXT,
    decline_note TEXT,
    answered_at TIMESTAMP,
    answered_by TEXT,
    PRIMARY KEY (voucher_id, number)
);
CREATE INDEX voucher_choices_provider ON voucher_choices (provider_id, voucher_id);
CREATE INDEX voucher_choices_patto ON voucher_choices (patto_id);
