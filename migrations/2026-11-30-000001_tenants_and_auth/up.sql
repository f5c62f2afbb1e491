-- Tenants, people and credentials: organizations, users, sessions, API keys,
-- invitations and password resets. Every index names the query it serves in a
-- COMMENT, and a test checks that no index lacks one.

CREATE EXTENSION IF NOT EXISTS pgcrypto;

-- Keeps updated_at true on every UPDATE without trusting each query to set it.
CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger AS $$
BEGIN
    IF NEW IS DISTINCT FROM OLD THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TABLE organizations (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    subdomain   text CHECK (subdomain ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    plan        text NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'starter', 'pro', 'enterprise')),
    max_agents  integer NOT NULL DEFAULT 10 CHECK (max_agents >= 0),
    max_users   integer NOT NULL DEFAULT 5 CHECK (max_users >= 0),
    settings    jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(settings) = 'object'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER organizations_updated_at BEFORE UPDATE ON organizations
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE UNIQUE INDEX organizations_subdomain_key ON organizations (subdomain) WHERE subdomain IS NOT NULL;
COMMENT ON INDEX organizations_subdomain_key IS 'serves: organization lookup by subdomain at registration (uniqueness) and routing';

CREATE TABLE users (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email           text NOT NULL CHECK (position('@' IN email) > 1 AND length(email) <= 254),
    password_hash   text NOT NULL,
    name            text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    role            text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member')),
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    last_login_at   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER users_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));
COMMENT ON INDEX users_email_lower_key IS 'serves: login and registration, user by lower(email); e-mail unique case-insensitively';
CREATE INDEX users_org_created_idx ON users (organization_id, created_at DESC, id DESC);
COMMENT ON INDEX users_org_created_idx IS 'serves: GET /api/users, team members of an organization newest first; also the FK to organizations';
CREATE INDEX users_org_role_idx ON users (organization_id, role) WHERE status = 'active';
COMMENT ON INDEX users_org_role_idx IS 'serves: count of active users per organization (plan limit) and owner lookups';

CREATE TABLE sessions (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    token_hash      bytea NOT NULL CHECK (length(token_hash) = 32),
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    user_agent      text,
    ip              text,
    last_used_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
COMMENT ON INDEX sessions_token_hash_key IS 'serves: bearer token authentication on every request, session by sha256(token)';
CREATE INDEX sessions_user_live_idx ON sessions (user_id) WHERE revoked_at IS NULL;
COMMENT ON INDEX sessions_user_live_idx IS 'serves: revoke every live session of a user (password reset, removal); also the FK to users';
CREATE INDEX sessions_org_idx ON sessions (organization_id);
COMMENT ON INDEX sessions_org_idx IS 'serves: FK to organizations (cascade on organization delete)';
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
COMMENT ON INDEX sessions_expires_idx IS 'serves: sweeper purge of expired sessions';

CREATE TABLE api_keys (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    name            text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    prefix          text NOT NULL CHECK (length(prefix) BETWEEN 4 AND 32),
    key_hash        bytea NOT NULL CHECK (length(key_hash) = 32),
    role            text NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'member')),
    scopes          text[] NOT NULL DEFAULT '{}',
    last_used_at    timestamptz,
    expires_at      timestamptz,
    revoked_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX api_keys_key_hash_key ON api_keys (key_hash);
COMMENT ON INDEX api_keys_key_hash_key IS 'serves: API key authentication, key by sha256(key)';
CREATE INDEX api_keys_org_created_idx ON api_keys (organization_id, created_at DESC, id DESC);
COMMENT ON INDEX api_keys_org_created_idx IS 'serves: GET /api/api-keys newest first; also the FK to organizations';
CREATE INDEX api_keys_created_by_idx ON api_keys (created_by) WHERE created_by IS NOT NULL;
COMMENT ON INDEX api_keys_created_by_idx IS 'serves: FK to users (SET NULL on user delete)';

CREATE TABLE invitations (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email           text NOT NULL CHECK (position('@' IN email) > 1 AND length(email) <= 254),
    role            text NOT NULL CHECK (role IN ('admin', 'member')),
    token_hash      bytea NOT NULL CHECK (length(token_hash) = 32),
    invited_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    expires_at      timestamptz NOT NULL,
    accepted_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX invitations_token_hash_key ON invitations (token_hash);
COMMENT ON INDEX invitations_token_hash_key IS 'serves: POST /api/auth/accept-invite, invitation by sha256(token)';
CREATE UNIQUE INDEX invitations_pending_email_key ON invitations (organization_id, lower(email)) WHERE accepted_at IS NULL;
COMMENT ON INDEX invitations_pending_email_key IS 'serves: one pending invitation per address per organization (409 on a duplicate invite); also the FK to organizations';
CREATE INDEX invitations_invited_by_idx ON invitations (invited_by) WHERE invited_by IS NOT NULL;
COMMENT ON INDEX invitations_invited_by_idx IS 'serves: FK to users (SET NULL on user delete)';

CREATE TABLE password_resets (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  bytea NOT NULL CHECK (length(token_hash) = 32),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX password_resets_token_hash_key ON password_resets (token_hash);
COMMENT ON INDEX password_resets_token_hash_key IS 'serves: POST /api/auth/reset-password, reset by sha256(token)';
CREATE INDEX password_resets_user_idx ON password_resets (user_id);
COMMENT ON INDEX password_resets_user_idx IS 'serves: FK to users (cascade), and invalidating older resets of a user';
