//! The diesel schema, shared by both backends. Written by hand: the migrations of the two
//! dialects must agree with it, and the persistence tests prove they do.

diesel::table! {
    municipalities (istat_code) {
        istat_code -> Text,
        name -> Text,
        province_code -> Text,
        province_name -> Text,
        province_abbr -> Text,
        region_code -> Text,
        region_name -> Text,
        cadastral_code -> Text,
        population -> BigInt,
    }
}

diesel::table! {
    organizations (id) {
        id -> Text,
        kind -> Text,
        name -> Text,
        codice_fiscale -> Nullable<Text>,
        partita_iva -> Nullable<Text>,
        pec -> Nullable<Text>,
        istat_code -> Nullable<Text>,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    districts (id) {
        id -> Text,
        name -> Text,
        authority_id -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    district_municipalities (district_id, istat_code) {
        district_id -> Text,
        istat_code -> Text,
    }
}

diesel::table! {
    product_lines (code) {
        code -> Text,
        name -> Text,
        position -> Integer,
    }
}

diesel::table! {
    interventions (code) {
        code -> Text,
        product_line_code -> Text,
        name -> Text,
        unit -> Text,
        position -> Integer,
    }
}

diesel::table! {
    intervention_target_groups (intervention_code, target_group) {
        intervention_code -> Text,
        target_group -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        organization_id -> Text,
        kind -> Text,
        login -> Text,
        display_name -> Text,
        role -> Text,
        password_hash -> Text,
        active -> Bool,
        token_version -> BigInt,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        revoked_reason -> Nullable<Text>,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Text,
        session_id -> Text,
        issued_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_throttle (throttle_key) {
        throttle_key -> Text,
        failures -> Integer,
        window_started_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    idempotency_keys (owner_id, idempotency_key) {
        owner_id -> Text,
        idempotency_key -> Text,
        request_hash -> Text,
        status_code -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        location -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        occurred_at -> Timestamp,
        actor_user_id -> Nullable<Text>,
        actor_organization_id -> Nullable<Text>,
        action -> Text,
        entity_type -> Text,
        entity_id -> Text,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
        request_id -> Nullable<Text>,
    }
}

diesel::joinable!(organizations -> municipalities (istat_code));
diesel::joinable!(districts -> organizations (authority_id));
diesel::joinable!(district_municipalities -> districts (district_id));
diesel::joinable!(district_municipalities -> municipalities (istat_code));
diesel::joinable!(interventions -> product_lines (product_line_code));
diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));

diesel::allow_tables_to_appear_in_same_query!(
    municipalities,
    organizations,
    districts,
    district_municipalities,
    product_lines,
    interventions,
    intervention_target_groups,
    users,
    sessions,
    refresh_tokens,
    login_throttle,
    idempotency_keys,
    audit_events,
);

diesel::table! {
    tenders (id) {
        id -> Text,
        kind -> Text,
        state -> Text,
        title -> Text,
        description -> Text,
        reference_code -> Nullable<Text>,
        responsible_official -> Text,
        submission_deadline -> Timestamp,
        clarification_deadline -> Timestamp,
        validity_from -> Text,
        validity_to -> Text,
        cancel_reason -> Nullable<Text>,
        published_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    tender_authorities (tender_id, authority_id) {
        tender_id -> Text,
        authority_id -> Text,
        position -> Integer,
    }
}

diesel::table! {
    tender_districts (tender_id, district_id) {
        tender_id -> Text,
        district_id -> Text,
    }
}

diesel::table! {
    tender_municipalities (tender_id, istat_code) {
        tender_id -> Text,
        istat_code -> Text,
    }
}

diesel::table! {
    tender_interventions (tender_id, intervention_code) {
        tender_id -> Text,
        intervention_code -> Text,
        unit -> Text,
        rate_cents -> BigInt,
        position -> Integer,
    }
}

diesel::table! {
    tender_requirements (tender_id, code) {
        tender_id -> Text,
        code -> Text,
        category -> Text,
        description -> Text,
        document_type -> Nullable<Text>,
        position -> Integer,
    }
}

diesel::table! {
    tender_amendments (id) {
        id -> Text,
        tender_id -> Text,
        reason -> Text,
        material -> Bool,
        changes_json -> Text,
        amended_at -> Timestamp,
        amended_by -> Nullable<Text>,
    }
}

diesel::table! {
    tender_questions (id) {
        id -> Text,
        tender_id -> Text,
        asked_by_organization -> Text,
        question -> Text,
        asked_at -> Timestamp,
        answer -> Nullable<Text>,
        answered_at -> Nullable<Timestamp>,
        answered_by -> Nullable<Text>,
    }
}

diesel::table! {
    documents (id) {
        id -> Text,
        owner_type -> Text,
        owner_id -> Text,
        document_type -> Text,
        filename -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        storage_key -> Text,
        uploaded_at -> Timestamp,
        uploaded_by -> Nullable<Text>,
    }
}

diesel::table! {
    applications (id) {
        id -> Text,
        tender_id -> Text,
        provider_id -> Text,
        status -> Text,
        needs_confirmation -> Bool,
        protocol_number -> Nullable<Text>,
        submitted_at -> Nullable<Timestamp>,
        snapshot_sha256 -> Nullable<Text>,
        decision_reason -> Nullable<Text>,
        decision_text -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        decided_by -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    application_scope (application_id, intervention_code, istat_code) {
        application_id -> Text,
        intervention_code -> Text,
        istat_code -> Text,
        admitted -> Bool,
    }
}

diesel::table! {
    application_declarations (application_id, requirement_code) {
        application_id -> Text,
        requirement_code -> Text,
        accepted -> Bool,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    protocol_counters (authority_id, year) {
        authority_id -> Text,
        year -> Integer,
        last_number -> BigInt,
    }
}

diesel::table! {
    submissions (id) {
        id -> Text,
        application_id -> Text,
        kind -> Text,
        authority_id -> Text,
        protocol_year -> Integer,
        protocol_sequence -> BigInt,
        protocol_number -> Text,
        received_at -> Timestamp,
        snapshot_json -> Text,
        sha256 -> Text,
    }
}

diesel::table! {
    integration_requests (id) {
        id -> Text,
        application_id -> Text,
        missing -> Text,
        due_at -> Timestamp,
        requested_at -> Timestamp,
        requested_by -> Nullable<Text>,
        answered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    accreditations (id) {
        id -> Text,
        tender_id -> Text,
        application_id -> Text,
        provider_id -> Text,
        intervention_code -> Text,
        istat_code -> Text,
        valid_from -> Text,
        valid_to -> Text,
        status -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(tender_authorities -> tenders (tender_id));
diesel::joinable!(applications -> tenders (tender_id));

diesel::allow_tables_to_appear_in_same_query!(
    tenders,
    tender_authorities,
    tender_districts,
    tender_municipalities,
    tender_interventions,
    tender_requirements,
    tender_amendments,
    tender_questions,
    documents,
    applications,
    application_scope,
    application_declarations,
    protocol_counters,
    submissions,
    integration_requests,
    accreditations,
);
