-- Runs once, when the postgres container initialises an empty data directory.
-- pg_stat_statements is preloaded by the compose command; the view needs the
-- extension in the database that operators query (see docs/OPERATIONS.md).
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
