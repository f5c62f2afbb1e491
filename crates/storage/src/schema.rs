// @generated automatically by Diesel CLI.

pub mod sql_types {
    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "tsvector", schema = "pg_catalog"))]
    pub struct Tsvector;
}

diesel::table! {
    agents (id) {
        id -> Uuid,
        organization_id -> Uuid,
        platform -> Text,
        external_agent_id -> Nullable<Text>,
        name -> Text,
        description -> Nullable<Text>,
        first_message -> Nullable<Text>,
        system_prompt -> Nullable<Text>,
        language -> Text,
        voice_id -> Nullable<Text>,
        voice_settings -> Jsonb,
        llm_settings -> Jsonb,
        tools -> Jsonb,
        is_active -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    analytics_daily (id) {
        id -> Uuid,
        organization_id -> Uuid,
        agent_id -> Nullable<Uuid>,
        day -> Date,
        calls -> Int4,
        completed_calls -> Int4,
        failed_calls -> Int4,
        duration_seconds -> Int8,
        cost_micros -> Int8,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Uuid,
        organization_id -> Uuid,
        created_by -> Nullable<Uuid>,
        name -> Text,
        prefix -> Text,
        key_hash -> Bytea,
        role -> Text,
        scopes -> Array<Text>,
        last_used_at -> Nullable<Timestamptz>,
        expires_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    audit_logs (id) {
        id -> Uuid,
        organization_id -> Uuid,
        user_id -> Nullable<Uuid>,
        api_key_id -> Nullable<Uuid>,
        action -> Text,
        entity_type -> Text,
        entity_id -> Nullable<Uuid>,
        changes -> Jsonb,
        ip -> Nullable<Text>,
        request_id -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Tsvector;

    call_logs (id) {
        id -> Uuid,
        organization_id -> Uuid,
        agent_id -> Nullable<Uuid>,
        platform -> Text,
        conversation_id -> Text,
        phone_number -> Nullable<Text>,
        direction -> Text,
        status -> Text,
        duration_seconds -> Int4,
        cost_micros -> Int8,
        transcript -> Jsonb,
        summary -> Nullable<Text>,
        metadata -> Jsonb,
        started_at -> Timestamptz,
        ended_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        search_vector -> Tsvector,
    }
}

diesel::table! {
    documents (id) {
        id -> Uuid,
        organization_id -> Uuid,
        uploaded_by -> Nullable<Uuid>,
        original_name -> Text,
        content_type -> Text,
        size_bytes -> Int8,
        storage_key -> Text,
        status -> Text,
        progress -> Int2,
        total_pages -> Nullable<Int4>,
        processed_pages -> Int4,
        chunk_count -> Int4,
        error_message -> Nullable<Text>,
        attempts -> Int4,
        lease_until -> Nullable<Timestamptz>,
        processed_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    email_outbox (id) {
        id -> Uuid,
        organization_id -> Nullable<Uuid>,
        to_address -> Text,
        template -> Text,
        data -> Jsonb,
        status -> Text,
        attempts -> Int4,
        lease_until -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    integrations (id) {
        id -> Uuid,
        organization_id -> Uuid,
        provider -> Text,
        category -> Text,
        encrypted_credentials -> Bytea,
        api_key_last4 -> Text,
        config -> Jsonb,
        status -> Text,
        last_tested_at -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    invitations (id) {
        id -> Uuid,
        organization_id -> Uuid,
        email -> Text,
        role -> Text,
        token_hash -> Bytea,
        invited_by -> Nullable<Uuid>,
        expires_at -> Timestamptz,
        accepted_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Tsvector;

    knowledge_base_entries (id) {
        id -> Uuid,
        organization_id -> Uuid,
        document_id -> Nullable<Uuid>,
        chunk_index -> Nullable<Int4>,
        title -> Text,
        content -> Text,
        category -> Nullable<Text>,
        tags -> Array<Text>,
        metadata -> Jsonb,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        search_vector -> Tsvector,
    }
}

diesel::table! {
    organizations (id) {
        id -> Uuid,
        name -> Text,
        subdomain -> Nullable<Text>,
        plan -> Text,
        max_agents -> Int4,
        max_users -> Int4,
        settings -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        max_documents -> Nullable<Int4>,
        max_document_bytes -> Nullable<Int8>,
        max_knowledge_base_bytes -> Nullable<Int8>,
    }
}

diesel::table! {
    password_resets (id) {
        id -> Uuid,
        user_id -> Uuid,
        token_hash -> Bytea,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    provider_integrations (id) {
        id -> Uuid,
        organization_id -> Uuid,
        provider_type -> Text,
        provider_name -> Text,
        display_name -> Text,
        encrypted_credentials -> Bytea,
        api_key_last4 -> Text,
        config -> Jsonb,
        status -> Text,
        is_primary -> Bool,
        last_tested_at -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    sessions (id) {
        id -> Uuid,
        user_id -> Uuid,
        organization_id -> Uuid,
        token_hash -> Bytea,
        expires_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        user_agent -> Nullable<Text>,
        ip -> Nullable<Text>,
        last_used_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        organization_id -> Uuid,
        email -> Text,
        password_hash -> Text,
        name -> Text,
        role -> Text,
        status -> Text,
        last_login_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Uuid,
        organization_id -> Uuid,
        webhook_id -> Uuid,
        event -> Text,
        payload -> Jsonb,
        status -> Text,
        attempts -> Int4,
        response_status -> Nullable<Int4>,
        last_error -> Nullable<Text>,
        next_attempt_at -> Timestamptz,
        lease_until -> Nullable<Timestamptz>,
        delivered_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Uuid,
        organization_id -> Uuid,
        url -> Text,
        encrypted_secret -> Bytea,
        events -> Array<Text>,
        is_active -> Bool,
        failure_count -> Int4,
        last_failure_at -> Nullable<Timestamptz>,
        disabled_at -> Nullable<Timestamptz>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(agents -> organizations (organization_id));
diesel::joinable!(analytics_daily -> agents (agent_id));
diesel::joinable!(analytics_daily -> organizations (organization_id));
diesel::joinable!(api_keys -> organizations (organization_id));
diesel::joinable!(api_keys -> users (created_by));
diesel::joinable!(audit_logs -> api_keys (api_key_id));
diesel::joinable!(audit_logs -> organizations (organization_id));
diesel::joinable!(audit_logs -> users (user_id));
diesel::joinable!(call_logs -> agents (agent_id));
diesel::joinable!(call_logs -> organizations (organization_id));
diesel::joinable!(documents -> organizations (organization_id));
diesel::joinable!(documents -> users (uploaded_by));
diesel::joinable!(email_outbox -> organizations (organization_id));
diesel::joinable!(integrations -> organizations (organization_id));
diesel::joinable!(invitations -> organizations (organization_id));
diesel::joinable!(invitations -> users (invited_by));
diesel::joinable!(knowledge_base_entries -> documents (document_id));
diesel::joinable!(knowledge_base_entries -> organizations (organization_id));
diesel::joinable!(knowledge_base_entries -> users (created_by));
diesel::joinable!(password_resets -> users (user_id));
diesel::joinable!(provider_integrations -> organizations (organization_id));
diesel::joinable!(sessions -> organizations (organization_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(webhook_deliveries -> organizations (organization_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(webhooks -> organizations (organization_id));
diesel::joinable!(webhooks -> users (created_by));

diesel::allow_tables_to_appear_in_same_query!(
    agents,
    analytics_daily,
    api_keys,
    audit_logs,
    call_logs,
    documents,
    email_outbox,
    integrations,
    invitations,
    knowledge_base_entries,
    organizations,
    password_resets,
    provider_integrations,
    sessions,
    users,
    webhook_deliveries,
    webhooks,
);
