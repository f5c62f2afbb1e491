ALTER TABLE organizations
    DROP COLUMN max_documents,
    DROP COLUMN max_document_bytes,
    DROP COLUMN max_knowledge_base_bytes;
