-- Voice agents, their call history, the daily analytics rollup, uploaded
-- documents and the knowledge base built from them.

CREATE TABLE agents (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id   uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    platform          text NOT NULL DEFAULT 'elevenlabs' CHECK (platform IN ('elevenlabs', 'vapi', 'retell', 'custom')),
    external_agent_id text CHECK (length(external_agent_id) BETWEEN 1 AND 200),
    name              text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    description       text CHECK (length(description) <= 5000),
    first_message     text CHECK (length(first_message) <= 5000),
    system_prompt     text CHECK (length(system_prompt) <= 100000),
    language          text NOT NULL DEFAULT 'en' CHECK (language ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$'),
    voice_id          text,
    voice_settings    jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(voice_settings) = 'object'),
    llm_settings      jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(llm_settings) = 'object'),
    tools             jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(tools) = 'array'),
    is_active         boolean NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER agents_updated_at BEFORE UPDATE ON agents
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE INDEX agents_org_created_idx ON agents (organization_id, created_at DESC, id DESC);
COMMENT ON INDEX agents_org_created_idx IS 'serves: GET /api/agents, agents of an organization newest first; also the FK to organizations';
CREATE UNIQUE INDEX agents_platform_external_key ON agents (platform, external_agent_id) WHERE external_agent_id IS NOT NULL;
COMMENT ON INDEX agents_platform_external_key IS 'serves: inbound post-call webhook, organization found by the platform agent id';
CREATE INDEX agents_org_active_idx ON agents (organization_id) WHERE is_active;
COMMENT ON INDEX agents_org_active_idx IS 'serves: activeAgents count of analytics overview and knowledge-base stats';

CREATE TABLE call_logs (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id   uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- Deleting an agent keeps its call history.
    agent_id          uuid REFERENCES agents (id) ON DELETE SET NULL,
    platform          text NOT NULL DEFAULT 'elevenlabs',
    conversation_id   text NOT NULL CHECK (length(conversation_id) BETWEEN 1 AND 200),
    phone_number      text,
    direction         text NOT NULL DEFAULT 'inbound' CHECK (direction IN ('inbound', 'outbound', 'web')),
    status            text NOT NULL CHECK (status IN ('initiated', 'in_progress', 'completed', 'failed', 'no_answer', 'busy')),
    duration_seconds  integer NOT NULL DEFAULT 0 CHECK (duration_seconds >= 0),
    -- Money in millionths of a dollar: exact sums, no floating point.
    cost_micros       bigint NOT NULL DEFAULT 0 CHECK (cost_micros >= 0),
    transcript        jsonb NOT NULL DEFAULT '[]'::jsonb,
    summary           text,
    metadata          jsonb NOT NULL DEFAULT '{}'::jsonb,
    started_at        timestamptz NOT NULL DEFAULT now(),
    ended_at          timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    search_vector     tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(summary, '')), 'A') ||
        setweight(jsonb_to_tsvector('english'::regconfig, transcript, '["string"]'::jsonb), 'B')
    ) STORED,
    CONSTRAINT call_logs_ended_after_started CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE TRIGGER call_logs_updated_at BEFORE UPDATE ON call_logs
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE UNIQUE INDEX call_logs_org_conversation_key ON call_logs (organization_id, conversation_id);
COMMENT ON INDEX call_logs_org_conversation_key IS 'serves: post-call webhook upsert by conversation id (replays change nothing)';
CREATE INDEX call_logs_org_started_idx ON call_logs (organization_id, started_at DESC, id DESC);
COMMENT ON INDEX call_logs_org_started_idx IS 'serves: GET /api/call-logs newest first (offset and keyset pages), date ranges, today''s live analytics';
CREATE INDEX call_logs_org_agent_started_idx ON call_logs (organization_id, agent_id, started_at DESC, id DESC);
COMMENT ON INDEX call_logs_org_agent_started_idx IS 'serves: GET /api/call-logs?agentId= newest first';
CREATE INDEX call_logs_org_status_started_idx ON call_logs (organization_id, status, started_at DESC, id DESC);
COMMENT ON INDEX call_logs_org_status_started_idx IS 'serves: GET /api/call-logs?status= newest first';
CREATE INDEX call_logs_agent_idx ON call_logs (agent_id) WHERE agent_id IS NOT NULL;
COMMENT ON INDEX call_logs_agent_idx IS 'serves: FK to agents (SET NULL on agent delete) and per-agent rollups';
CREATE INDEX call_logs_search_idx ON call_logs USING gin (search_vector);
COMMENT ON INDEX call_logs_search_idx IS 'serves: full-text search of call transcripts and summaries';

CREATE TABLE analytics_daily (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id   uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- NULL: calls whose agent is unknown or was deleted.
    agent_id          uuid REFERENCES agents (id) ON DELETE CASCADE,
    day               date NOT NULL,
    calls             integer NOT NULL DEFAULT 0 CHECK (calls >= 0),
    completed_calls   integer NOT NULL DEFAULT 0 CHECK (completed_calls >= 0),
    failed_calls      integer NOT NULL DEFAULT 0 CHECK (failed_calls >= 0),
    duration_seconds  bigint NOT NULL DEFAULT 0 CHECK (duration_seconds >= 0),
    cost_micros       bigint NOT NULL DEFAULT 0 CHECK (cost_micros >= 0),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT analytics_daily_org_agent_day_key UNIQUE NULLS NOT DISTINCT (organization_id, agent_id, day)
);
CREATE INDEX analytics_daily_org_day_idx ON analytics_daily (organization_id, day DESC);
COMMENT ON INDEX analytics_daily_org_day_idx IS 'serves: analytics overview, totals and calls per day of an organization';
CREATE INDEX analytics_daily_agent_idx ON analytics_daily (agent_id) WHERE agent_id IS NOT NULL;
COMMENT ON INDEX analytics_daily_agent_idx IS 'serves: FK to agents (cascade on agent delete)';

CREATE TABLE documents (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id   uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    uploaded_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    original_name     text NOT NULL CHECK (length(original_name) BETWEEN 1 AND 255),
    content_type      text NOT NULL,
    size_bytes        bigint NOT NULL CHECK (size_bytes >= 0),
    storage_key       text NOT NULL,
    status            text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'processing', 'completed', 'failed')),
    progress          smallint NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    total_pages       integer CHECK (total_pages >= 0),
    processed_pages   integer NOT NULL DEFAULT 0 CHECK (processed_pages >= 0),
    chunk_count       integer NOT NULL DEFAULT 0 CHECK (chunk_count >= 0),
    error_message     text,
    attempts          integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    lease_until       timestamptz,
    processed_at      timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER documents_updated_at BEFORE UPDATE ON documents
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE UNIQUE INDEX documents_storage_key_key ON documents (storage_key);
COMMENT ON INDEX documents_storage_key_key IS 'serves: one row per stored object; lookup of a document by its object key';
CREATE INDEX documents_org_created_idx ON documents (organization_id, created_at DESC, id DESC);
COMMENT ON INDEX documents_org_created_idx IS 'serves: GET /api/documents newest first; also the FK to organizations';
CREATE INDEX documents_pending_idx ON documents (updated_at) WHERE status IN ('queued', 'processing');
COMMENT ON INDEX documents_pending_idx IS 'serves: sweeper scan of documents waiting to be processed or with an expired lease';
CREATE INDEX documents_uploaded_by_idx ON documents (uploaded_by) WHERE uploaded_by IS NOT NULL;
COMMENT ON INDEX documents_uploaded_by_idx IS 'serves: FK to users (SET NULL on user delete)';

CREATE TABLE knowledge_base_entries (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id   uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- Deleting a document removes its chunks.
    document_id       uuid REFERENCES documents (id) ON DELETE CASCADE,
    chunk_index       integer CHECK (chunk_index >= 0),
    title             text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 500),
    content           text NOT NULL CHECK (length(content) BETWEEN 1 AND 200000),
    category          text CHECK (length(category) BETWEEN 1 AND 100),
    tags              text[] NOT NULL DEFAULT '{}',
    metadata          jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_by        uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    search_vector     tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, title), 'A') ||
        setweight(to_tsvector('english'::regconfig, coalesce(category, '')), 'B') ||
        setweight(to_tsvector('english'::regconfig, content), 'C')
    ) STORED,
    CONSTRAINT knowledge_base_chunk_pair CHECK ((document_id IS NULL) = (chunk_index IS NULL)),
    CONSTRAINT knowledge_base_document_chunk_key UNIQUE (document_id, chunk_index)
);
CREATE TRIGGER knowledge_base_entries_updated_at BEFORE UPDATE ON knowledge_base_entries
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE INDEX knowledge_base_search_idx ON knowledge_base_entries USING gin (search_vector);
COMMENT ON INDEX knowledge_base_search_idx IS 'serves: POST /api/knowledge-base/search, full-text match';
CREATE INDEX knowledge_base_org_created_idx ON knowledge_base_entries (organization_id, created_at DESC, id DESC);
COMMENT ON INDEX knowledge_base_org_created_idx IS 'serves: GET /api/knowledge-base/entries newest first, entry counts; also the FK to organizations';
CREATE INDEX knowledge_base_org_category_idx ON knowledge_base_entries (organization_id, category) WHERE category IS NOT NULL;
COMMENT ON INDEX knowledge_base_org_category_idx IS 'serves: search and listing filtered by category, category counts in stats';
CREATE INDEX knowledge_base_tags_idx ON knowledge_base_entries USING gin (tags);
COMMENT ON INDEX knowledge_base_tags_idx IS 'serves: search filtered by tags (tags && / @>)';
CREATE INDEX knowledge_base_created_by_idx ON knowledge_base_entries (created_by) WHERE created_by IS NOT NULL;
COMMENT ON INDEX knowledge_base_created_by_idx IS 'serves: FK to users (SET NULL on user delete)';
COMMENT ON INDEX knowledge_base_document_chunk_key IS 'serves: one entry per document chunk (idempotent re-processing); also the FK to documents (cascade)';
COMMENT ON INDEX analytics_daily_org_agent_day_key IS 'serves: idempotent rollup upsert of one organization, agent and day';
