-- An agent's platform id is unique within its organization, not across tenants: otherwise one
-- organization could take another's ElevenLabs agent id first and lock it out. The inbound
-- webhook names its organization in the URL and looks the agent up within it.
DROP INDEX agents_platform_external_key;
CREATE UNIQUE INDEX agents_org_platform_external_key
    ON agents (organization_id, platform, external_agent_id)
    WHERE external_agent_id IS NOT NULL;
COMMENT ON INDEX agents_org_platform_external_key IS 'serves: inbound post-call webhook, agent found by the platform agent id within the organization of the URL';
-- The legacy URL without an organization still finds an id that exactly one tenant uses.
CREATE INDEX agents_platform_external_idx
    ON agents (platform, external_agent_id)
    WHERE external_agent_id IS NOT NULL;
COMMENT ON INDEX agents_platform_external_idx IS 'serves: legacy inbound post-call webhook, organization found by a platform agent id only one tenant uses';
