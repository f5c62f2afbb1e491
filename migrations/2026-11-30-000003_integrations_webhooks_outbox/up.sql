-- Provider accounts with encrypted credentials, outbound webhooks and their
CREATE EXTENSION IF NOT EXISTS btree_gin;
-- deliveries, the e-mail outbox and the audit trail.

CREATE TABLE integrations (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id       uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    provider              text NOT NULL CHECK (provider IN ('elevenlabs', 'vapi', 'retell')),
    category              text NOT NULL DEFAULT 'voice_platform',
    -- AES-256-GCM (nonce || ciphertext) of the credentials JSON; never returned.
    encrypted_credentials bytea NOT NULL,
    api_key_last4         text NOT NULL CHECK (length(api_key_last4) <= 4),
    config                jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(config) = 'object'),
    status                text NOT NULL DEFAULT 'untested' CHECK (status IN ('untested', 'active', 'error', 'inactive')),
    last_tested_at        timestamptz,
    last_error            text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER integrations_updated_at BEFORE UPDATE ON integrations
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE UNIQUE INDEX integrations_org_provider_key ON integrations (organization_id, provider);
COMMENT ON INDEX integrations_org_provider_key IS 'serves: GET /api/integrations, integration of an organization by provider (one per provider), webhook secret lookup; also the FK';

CREATE TABLE provider_integrations (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id       uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    provider_type         text NOT NULL CHECK (provider_type IN ('tts', 'stt', 'llm')),
    provider_name         text NOT NULL CHECK (length(provider_name) BETWEEN 1 AND 100),
    display_name          text NOT NULL CHECK (length(btrim(display_name)) BETWEEN 1 AND 200),
    encrypted_credentials bytea NOT NULL,
    api_key_last4         text NOT NULL CHECK (length(api_key_last4) <= 4),
    config                jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(config) = 'object'),
    status                text NOT NULL DEFAULT 'untested' CHECK (status IN ('untested', 'active', 'error', 'inactive')),
    is_primary            boolean NOT NULL DEFAULT false,
    last_tested_at        timestamptz,
    last_error            text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER provider_integrations_updated_at BEFORE UPDATE ON provider_integrations
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE INDEX provider_integrations_org_type_idx ON provider_integrations (organization_id, provider_type, created_at DESC);
COMMENT ON INDEX provider_integrations_org_type_idx IS 'serves: GET /api/providers grouped by type; also the FK to organizations';
CREATE UNIQUE INDEX provider_integrations_primary_key ON provider_integrations (organization_id, provider_type) WHERE is_primary;
COMMENT ON INDEX provider_integrations_primary_key IS 'serves: the primary provider of a type (one per organization and type), set-primary';

CREATE TABLE webhooks (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id   uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    url               text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2048),
    -- AES-256-GCM of the signing secret: the worker needs it back to sign.
    encrypted_secret  bytea NOT NULL,
    events            text[] NOT NULL CHECK (cardinality(events) > 0),
    is_active         boolean NOT NULL DEFAULT true,
    failure_count     integer NOT NULL DEFAULT 0 CHECK (failure_count >= 0),
    last_failure_at   timestamptz,
    disabled_at       timestamptz,
    created_by        uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER webhooks_updated_at BEFORE UPDATE ON webhooks
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE INDEX webhooks_org_created_idx ON webhooks (organization_id, created_at DESC, id DESC);
COMMENT ON INDEX webhooks_org_created_idx IS 'serves: GET /api/webhooks newest first; also the FK to organizations';
CREATE INDEX webhooks_active_events_idx ON webhooks USING gin (organization_id, events) WHERE is_active;
COMMENT ON INDEX webhooks_active_events_idx IS 'serves: fan-out of an event, active endpoints of an organization subscribed to it (btree_gin)';
CREATE INDEX webhooks_created_by_idx ON webhooks (created_by) WHERE created_by IS NOT NULL;
COMMENT ON INDEX webhooks_created_by_idx IS 'serves: FK to users (SET NULL on user delete)';

CREATE TABLE webhook_deliveries (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id   uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    webhook_id        uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event             text NOT NULL,
    payload           jsonb NOT NULL,
    status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivering', 'succeeded', 'failed', 'dead')),
    attempts          integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    response_status   integer,
    last_error        text,
    next_attempt_at   timestamptz NOT NULL DEFAULT now(),
    lease_until       timestamptz,
    delivered_at      timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER webhook_deliveries_updated_at BEFORE UPDATE ON webhook_deliveries
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE INDEX webhook_deliveries_webhook_created_idx ON webhook_deliveries (webhook_id, created_at DESC, id DESC);
COMMENT ON INDEX webhook_deliveries_webhook_created_idx IS 'serves: GET /api/webhooks/{id}/deliveries newest first; also the FK to webhooks';
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status IN ('pending', 'delivering', 'failed');
COMMENT ON INDEX webhook_deliveries_due_idx IS 'serves: sweeper scan of deliveries due (never enqueued, lease expired, or retry due)';
CREATE INDEX webhook_deliveries_finished_idx ON webhook_deliveries (updated_at) WHERE status IN ('succeeded', 'dead');
COMMENT ON INDEX webhook_deliveries_finished_idx IS 'serves: retention purge of finished deliveries';
CREATE INDEX webhook_deliveries_org_idx ON webhook_deliveries (organization_id, created_at DESC);
COMMENT ON INDEX webhook_deliveries_org_idx IS 'serves: FK to organizations and organization-wide delivery history';

CREATE TABLE email_outbox (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id   uuid REFERENCES organizations (id) ON DELETE CASCADE,
    to_address        text NOT NULL CHECK (position('@' IN to_address) > 1),
    template          text NOT NULL CHECK (template IN ('welcome', 'invitation', 'password_reset')),
    data              jsonb NOT NULL DEFAULT '{}'::jsonb,
    status            text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts          integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    lease_until       timestamptz,
    last_error        text,
    sent_at           timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER email_outbox_updated_at BEFORE UPDATE ON email_outbox
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE INDEX email_outbox_pending_idx ON email_outbox (updated_at) WHERE status IN ('queued', 'sending');
COMMENT ON INDEX email_outbox_pending_idx IS 'serves: sweeper scan of mails waiting to be sent or with an expired lease';
CREATE INDEX email_outbox_finished_idx ON email_outbox (updated_at) WHERE status IN ('sent', 'failed');
COMMENT ON INDEX email_outbox_finished_idx IS 'serves: retention purge of finished mails';
CREATE INDEX email_outbox_org_idx ON email_outbox (organization_id, created_at DESC) WHERE organization_id IS NOT NULL;
COMMENT ON INDEX email_outbox_org_idx IS 'serves: FK to organizations and mails of an organization';

CREATE TABLE audit_logs (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id   uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id           uuid REFERENCES users (id) ON DELETE SET NULL,
    api_key_id        uuid REFERENCES api_keys (id) ON DELETE SET NULL,
    action            text NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
    entity_type       text NOT NULL,
    entity_id         uuid,
    changes           jsonb NOT NULL DEFAULT '{}'::jsonb,
    ip                text,
    request_id        text,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_logs_org_created_idx ON audit_logs (organization_id, created_at DESC, id DESC);
COMMENT ON INDEX audit_logs_org_created_idx IS 'serves: GET /api/audit-logs newest first; also the FK to organizations';
CREATE INDEX audit_logs_org_entity_idx ON audit_logs (organization_id, entity_type, entity_id, created_at DESC);
COMMENT ON INDEX audit_logs_org_entity_idx IS 'serves: history of one entity (GET /api/audit-logs?entityType=&entityId=)';
CREATE INDEX audit_logs_user_idx ON audit_logs (user_id) WHERE user_id IS NOT NULL;
COMMENT ON INDEX audit_logs_user_idx IS 'serves: FK to users (SET NULL on user delete)';
CREATE INDEX audit_logs_api_key_idx ON audit_logs (api_key_id) WHERE api_key_id IS NOT NULL;
COMMENT ON INDEX audit_logs_api_key_idx IS 'serves: FK to api_keys (SET NULL on key delete)';

ANALYZE;
