CREATE TABLE municipalities (
    istat_code TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    province_code TEXT NOT NULL,
    province_name TEXT NOT NULL,
    province_abbr TEXT NOT NULL,
    region_code TEXT NOT NULL,
    region_name TEXT NOT NULL,
    cadastral_code TEXT NOT NULL,
    population BIGINT NOT NULL
);
CREATE INDEX municipalities_province ON municipalities (province_abbr, istat_code);

CREATE TABLE organizations (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('platform', 'authority', 'provider', 'municipality')),
    name TEXT NOT NULL,
    codice_fiscale TEXT UNIQUE,
    partita_iva TEXT,
    pec TEXT,
    istat_code TEXT UNIQUE REFERENCES municipalities (istat_code),
    active BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX organizations_kind ON organizations (kind, id);

CREATE TABLE districts (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    authority_id TEXT NOT NULL REFERENCES organizations (id),
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE district_municipalities (
    district_id TEXT NOT NULL REFERENCES districts (id) ON DELETE CASCADE,
    istat_code TEXT NOT NULL REFERENCES municipalities (istat_code),
    PRIMARY KEY (district_id, istat_code)
);

CREATE TABLE product_lines (
    code TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    position INTEGER NOT NULL
);

CREATE TABLE interventions (
    code TEXT PRIMARY KEY NOT NULL,
    product_line_code TEXT NOT NULL REFERENCES product_lines (code),
    name TEXT NOT NULL,
    unit TEXT NOT NULL CHECK (unit IN ('hour', 'meal', 'trip', 'month', 'load')),
    position INTEGER NOT NULL
);

CREATE TABLE intervention_target_groups (
    intervention_code TEXT NOT NULL REFERENCES interventions (code),
    target_group TEXT NOT NULL,
    PRIMARY KEY (intervention_code, target_group)
);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    kind TEXT NOT NULL CHECK (kind IN ('person', 'service')),
    login TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'authority_staff', 'provider_member', 'municipality')),
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    token_version BIGINT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX users_organization ON users (organization_id, id);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    revoked_reason TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL REFERENCES sessions (id),
    issued_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);

CREATE TABLE login_throttle (
    throttle_key TEXT PRIMARY KEY NOT NULL,
    failures INTEGER NOT NULL,
    window_started_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP
);

CREATE TABLE idempotency_keys (
    owner_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status_code INTEGER,
    response_body TEXT,
    location TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (owner_id, idempotency_key)
);

CREATE TABLE audit_events (
    id TEXT PRIMARY KEY NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    actor_user_id TEXT,
    actor_organization_id TEXT,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    request_id TEXT
);
CREATE INDEX audit_events_entity ON audit_events (entity_type, entity_id, id);

-- The catalogue of the two seed calls. Codes are stable identifiers that calls refer to.
INSERT INTO product_lines (code, name, position) VALUES
    ('educational', 'Intervento educativo', 1),
    ('social_care', 'Intervento socio-assistenziale', 2),
    ('additional', 'Interventi aggiuntivi', 3),
    ('mediation', 'Mediazione linguistico-culturale', 4);

INSERT INTO interventions (code, product_line_code, name, unit, position) VALUES
    ('educational_individual', 'educational', 'Educativo individuale', 'hour', 1),
    ('educational_group', 'educational', 'Educativo ed animativo di gruppo', 'hour', 2),
    ('home_care_professional', 'social_care', 'Assistenza domiciliare professionale', 'hour', 1),
    ('home_care_generic', 'social_care', 'Assistenza domiciliare generica', 'hour', 2),
    ('group_care', 'social_care', 'Assistenza di gruppo', 'hour', 3),
    ('meals_delivery', 'additional', 'Preparazione e distribuzione pasti a domicilio', 'meal', 1),
    ('telecare', 'additional', 'Telesoccorso e teleassistenza', 'month', 2),
    ('accompanied_transport', 'additional', 'Trasporto con accompagnamento', 'trip', 3),
    ('laundry', 'additional', 'Lavanderia', 'load', 4),
    ('parenting_support', 'additional', 'Interventi a supporto della genitorialità', 'hour', 5),
    ('provider_proposal', 'additional', 'Proposte ulteriori degli enti', 'hour', 6),
    ('mediation_social', 'mediation', 'Mediazione linguistico-culturale in contesto sociale', 'hour', 1),
    ('mediation_socio_health', 'mediation', 'Mediazione linguistico-culturale in contesto socio-sanitario', 'hour', 2),
    ('mediation_health', 'mediation', 'Mediazione linguistico-culturale in contesto sanitario', 'hour', 3),
    ('mediation_school', 'mediation', 'Mediazione linguistico-culturale in contesto scolastico', 'hour', 4);

INSERT INTO intervention_target_groups (intervention_code, target_group) VALUES
    ('educational_individual', 'minors'), ('educational_individual', 'disabled'), ('educational_individual', 'families'),
    ('educational_group', 'minors'), ('educational_group', 'disabled'),
    ('home_care_professional', 'elderly'), ('home_care_professional', 'disabled'), ('home_care_professional', 'non_self_sufficient'),
    ('home_care_generic', 'elderly'), ('home_care_generic', 'disabled'), ('home_care_generic', 'non_self_sufficient'),
    ('group_care', 'elderly'), ('group_care', 'disabled'),
    ('meals_delivery', 'elderly'), ('meals_delivery', 'disabled'), ('meals_delivery', 'non_self_sufficient'),
    ('telecare', 'elderly'), ('telecare', 'disabled'), ('telecare', 'non_self_sufficient'),
    ('accompanied_transport', 'elderly'), ('accompanied_transport', 'disabled'), ('accompanied_transport', 'non_self_sufficient'),
    ('laundry', 'elderly'), ('laundry', 'non_self_sufficient'),
    ('parenting_support', 'families'), ('parenting_support', 'minors'),
    ('provider_proposal', 'elderly'), ('provider_proposal', 'disabled'), ('provider_proposal', 'non_self_sufficient'), ('provider_proposal', 'minors'), ('provider_proposal', 'families'),
    ('mediation_social', 'foreign_citizens'), ('mediation_socio_health', 'foreign_citizens'),
    ('mediation_health', 'foreign_citizens'), ('mediation_school', 'foreign_citizens'), ('mediation_school', 'minors');
