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
