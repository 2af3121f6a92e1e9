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
        event_seq -> Nullable<BigInt>,
    }
}

diesel::table! {
    events (seq) {
        seq -> BigInt,
        id -> Text,
        name -> Text,
        subject_type -> Text,
        subject_id -> Text,
        payload -> Text,
        public -> Bool,
        occurred_at -> Timestamp,
        actor_user_id -> Nullable<Text>,
        actor_organization_id -> Nullable<Text>,
        request_id -> Nullable<Text>,
    }
}

diesel::table! {
    event_readers (organization_id, seq) {
        organization_id -> Text,
        seq -> BigInt,
    }
}

diesel::joinable!(event_readers -> events (seq));

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
    events,
    event_readers,
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
        version -> BigInt,
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
    application_recordings (application_id) {
        application_id -> Text,
        channel -> Text,
        received_at -> Timestamp,
        recorded_by -> Text,
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
        created_at -> Timestamp,
        round -> Integer,
        act_number -> Nullable<Text>,
        act_date -> Nullable<Text>,
        version -> BigInt,
    }
}

diesel::table! {
    tender_rounds (tender_id, number) {
        tender_id -> Text,
        number -> Integer,
        opened_at -> Timestamp,
        submission_deadline -> Timestamp,
        clarification_deadline -> Timestamp,
        concluded_at -> Nullable<Timestamp>,
        act_number -> Nullable<Text>,
        act_date -> Nullable<Text>,
    }
}

diesel::table! {
    measures (id) {
        id -> Text,
        subject_type -> Text,
        subject_id -> Text,
        kind -> Text,
        reason -> Text,
        effective_from -> Timestamp,
        effective_until -> Nullable<Timestamp>,
        act_number -> Nullable<Text>,
        act_date -> Nullable<Text>,
        recorded_at -> Timestamp,
        recorded_by -> Nullable<Text>,
    }
}

diesel::table! {
    provider_certificates (id) {
        id -> Text,
        provider_id -> Text,
        kind -> Text,
        reference -> Nullable<Text>,
        valid_from -> Text,
        valid_until -> Text,
        document_id -> Nullable<Text>,
        recorded_at -> Timestamp,
        recorded_by -> Nullable<Text>,
    }
}

diesel::table! {
    requirement_confirmations (id) {
        id -> Text,
        provider_id -> Text,
        authority_id -> Text,
        act_number -> Nullable<Text>,
        act_date -> Nullable<Text>,
        note -> Nullable<Text>,
        confirmed_at -> Timestamp,
        confirmed_by -> Nullable<Text>,
    }
}

diesel::table! {
    patti (id) {
        id -> Text,
        number -> Text,
        tender_id -> Text,
        provider_id -> Text,
        authority_id -> Text,
        valid_from -> Text,
        valid_to -> Text,
        obligations -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    patto_versions (patto_id, number) {
        patto_id -> Text,
        number -> Integer,
        kind -> Text,
        effective_from -> Text,
        rationale -> Nullable<Text>,
        proposed_at -> Timestamp,
        proposed_by -> Nullable<Text>,
    }
}

diesel::table! {
    patto_scope (patto_id, version, intervention_code, istat_code) {
        patto_id -> Text,
        version -> Integer,
        intervention_code -> Text,
        istat_code -> Text,
    }
}

diesel::table! {
    patto_rates (patto_id, version, intervention_code) {
        patto_id -> Text,
        version -> Integer,
        intervention_code -> Text,
        unit -> Text,
        rate_cents -> BigInt,
    }
}

diesel::table! {
    patto_signatures (patto_id, version, side) {
        patto_id -> Text,
        version -> Integer,
        side -> Text,
        signed_by -> Nullable<Text>,
        signed_at -> Timestamp,
        document_id -> Nullable<Text>,
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
    application_recordings,
    protocol_counters,
    submissions,
    integration_requests,
    accreditations,
    tender_rounds,
    measures,
    provider_certificates,
    requirement_confirmations,
    patti,
    patto_versions,
    patto_scope,
    patto_rates,
    patto_signatures,
    beneficiaries,
    isee_records,
    personal_data_access,
    copayment_rules,
    service_requests,
    service_request_assessments,
    service_request_closures,
    service_request_items,
    service_request_integrations,
    service_request_suspensions,
    vouchers,
    voucher_choices,
    mediators,
    mediation_requests,
    mediation_request_details,
    mediation_offers,
    mediation_confirmations,
    mediation_endings,
    delivery_reports,
    delivery_report_revisions,
    delivery_report_lines,
);

diesel::table! {
    beneficiaries (id) {
        id -> Text,
        authority_id -> Text,
        codice_fiscale -> Text,
        given_name -> Text,
        family_name -> Text,
        birth_date -> Text,
        residence -> Text,
        address -> Text,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        household -> Text,
        situation -> Text,
        registered_by -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    isee_records (id) {
        id -> Text,
        beneficiary_id -> Text,
        kind -> Text,
        value_cents -> BigInt,
        dsu_protocol -> Text,
        issued_on -> Text,
        expires_on -> Text,
        recorded_at -> Timestamp,
        recorded_by -> Nullable<Text>,
    }
}

diesel::table! {
    personal_data_access (id) {
        id -> Text,
        beneficiary_id -> Text,
        at -> Timestamp,
        user_id -> Nullable<Text>,
        organization_id -> Nullable<Text>,
        action -> Text,
        fields -> Text,
        service_request_id -> Nullable<Text>,
        request_id -> Nullable<Text>,
    }
}

diesel::table! {
    copayment_rules (id) {
        id -> Text,
        authority_id -> Text,
        intervention_code -> Text,
        version -> Integer,
        valid_from -> Text,
        valid_to -> Nullable<Text>,
        isee_kind -> Text,
        formula -> Text,
        created_at -> Timestamp,
        created_by -> Nullable<Text>,
    }
}

diesel::table! {
    service_requests (id) {
        id -> Text,
        beneficiary_id -> Text,
        authority_id -> Text,
        requested_by -> Text,
        istat_code -> Text,
        age_band -> Text,
        desired_start -> Text,
        care_plan -> Text,
        urgency -> Text,
        submitted_at -> Timestamp,
        submitted_by -> Nullable<Text>,
        closed_at -> Nullable<Timestamp>,
        version -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    service_request_assessments (request_id) {
        request_id -> Text,
        outcome -> Text,
        ineligible_reason -> Nullable<Text>,
        explanation -> Nullable<Text>,
        assessed_at -> Timestamp,
        assessed_by -> Nullable<Text>,
    }
}

diesel::table! {
    service_request_closures (request_id) {
        request_id -> Text,
        reason -> Text,
        note -> Text,
        closed_at -> Timestamp,
        closed_by -> Nullable<Text>,
    }
}

diesel::table! {
    service_request_items (request_id, position) {
        request_id -> Text,
        position -> Integer,
        intervention_code -> Text,
        units -> Integer,
        period -> Text,
    }
}

diesel::table! {
    service_request_integrations (request_id, number) {
        request_id -> Text,
        number -> Integer,
        message -> Text,
        due_on -> Text,
        requested_at -> Timestamp,
        requested_by -> Nullable<Text>,
        answer -> Nullable<Text>,
        answered_at -> Nullable<Timestamp>,
        answered_by -> Nullable<Text>,
    }
}

diesel::table! {
    service_request_suspensions (request_id, number) {
        request_id -> Text,
        number -> Integer,
        from_date -> Text,
        until_date -> Nullable<Text>,
        reason -> Text,
        recorded_at -> Timestamp,
        recorded_by -> Nullable<Text>,
        resumed_on -> Nullable<Text>,
    }
}

diesel::table! {
    vouchers (id) {
        id -> Text,
        request_id -> Text,
        position -> Integer,
        intervention_code -> Text,
        tender_id -> Text,
        unit -> Text,
        units -> Integer,
        period -> Text,
        rate_cents -> BigInt,
        valid_from -> Text,
        valid_to -> Text,
        granted_rule_id -> Text,
        granted_rule_version -> Integer,
        granted_isee_id -> Nullable<Text>,
        granted_family_cents -> BigInt,
        granted_authority_cents -> BigInt,
    }
}

diesel::table! {
    voucher_choices (voucher_id, number) {
        voucher_id -> Text,
        number -> Integer,
        provider_id -> Text,
        patto_id -> Text,
        chosen_at -> Timestamp,
        chosen_by -> Nullable<Text>,
        answer -> Nullable<Text>,
        start_date -> Nullable<Text>,
        decline_reason -> Nullable<Text>,
        decline_note -> Nullable<Text>,
        answered_at -> Nullable<Timestamp>,
        answered_by -> Nullable<Text>,
    }
}

diesel::table! {
    mediators (id) {
        id -> Text,
        provider_id -> Text,
        name -> Text,
        languages -> Text,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    mediation_requests (id) {
        id -> Text,
        authority_id -> Text,
        requested_by -> Text,
        istat_code -> Text,
        context -> Text,
        mode -> Text,
        language -> Text,
        urgent -> Bool,
        starts_at -> Timestamp,
        minutes -> Integer,
        reported_in -> Nullable<Text>,
        created_at -> Timestamp,
        created_by -> Nullable<Text>,
        version -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    mediation_request_details (request_id) {
        request_id -> Text,
        service -> Text,
        contact -> Text,
        operator -> Text,
        reason -> Text,
        nationality -> Nullable<Text>,
        place -> Nullable<Text>,
        initials -> Nullable<Text>,
        beneficiary_id -> Nullable<Text>,
    }
}

diesel::table! {
    mediation_offers (request_id, number) {
        request_id -> Text,
        number -> Integer,
        provider_id -> Text,
        patto_id -> Text,
        offered_at -> Timestamp,
        declined_at -> Nullable<Timestamp>,
        decline_note -> Nullable<Text>,
    }
}

diesel::table! {
    mediation_confirmations (request_id) {
        request_id -> Text,
        provider_id -> Text,
        patto_id -> Text,
        mediator_id -> Text,
        mediator_name -> Text,
        starts_at -> Timestamp,
        minutes -> Integer,
        confirmed_at -> Timestamp,
        confirmed_by -> Nullable<Text>,
    }
}

diesel::table! {
    mediation_endings (request_id) {
        request_id -> Text,
        outcome -> Text,
        started_at -> Nullable<Timestamp>,
        minutes -> Nullable<Integer>,
        pages -> Nullable<Integer>,
        late -> Bool,
        note -> Text,
        ended_at -> Timestamp,
        ended_by -> Nullable<Text>,
    }
}

diesel::table! {
    delivery_reports (id) {
        id -> Text,
        natural_key -> Text,
        provider_id -> Text,
        authority_id -> Text,
        month -> Text,
        subject -> Text,
        request_id -> Nullable<Text>,
        voucher_id -> Nullable<Text>,
        istat_code -> Nullable<Text>,
        validated_at -> Nullable<Timestamp>,
        validated_by -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    delivery_report_revisions (report_id, number) {
        report_id -> Text,
        number -> Integer,
        over_reason -> Nullable<Text>,
        submitted_at -> Timestamp,
        submitted_by -> Nullable<Text>,
        contested_at -> Nullable<Timestamp>,
        contested_by -> Nullable<Text>,
    }
}

diesel::table! {
    delivery_report_lines (report_id, revision, position) {
        report_id -> Text,
        revision -> Integer,
        position -> Integer,
        date -> Text,
        intervention_code -> Text,
        quantity -> Integer,
        mediation_request_id -> Nullable<Text>,
        contest_reason -> Nullable<Text>,
        rate_cents -> Nullable<BigInt>,
        amount_cents -> Nullable<BigInt>,
        family_cents -> Nullable<BigInt>,
        authority_cents -> Nullable<BigInt>,
    }
}
