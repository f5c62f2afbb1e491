CREATE INDEX knowledge_base_search_idx ON knowledge_base_entries USING gin (search_vector);
COMMENT ON INDEX knowledge_base_search_idx IS 'serves: POST /api/knowledge-base/search, full-text match';
DROP INDEX knowledge_base_org_search_idx;
