DROP TABLE IF EXISTS knowledge_base_entries, documents, analytics_daily, call_logs, agents;
