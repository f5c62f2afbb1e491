DROP INDEX agents_platform_external_idx;
DROP INDEX agents_org_platform_external_key;
CREATE UNIQUE INDEX agents_platform_external_key ON agents (platform, external_agent_id) WHERE external_agent_id IS NOT NULL;
COMMENT ON INDEX agents_platform_external_key IS 'serves: inbound post-call webhook, organization found by the platform agent id';
