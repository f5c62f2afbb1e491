-- Per-organization storage quotas. NULL means the deployment's default
-- (ORG_MAX_DOCUMENTS, ORG_MAX_DOCUMENT_BYTES, ORG_MAX_KNOWLEDGE_BASE_BYTES);
-- an operator raises or lowers one organization's limit here.
ALTER TABLE organizations
    ADD COLUMN max_documents integer CHECK (max_documents >= 0),
    ADD COLUMN max_document_bytes bigint CHECK (max_document_bytes >= 0),
    ADD COLUMN max_knowledge_base_bytes bigint CHECK (max_knowledge_base_bytes >= 0);
