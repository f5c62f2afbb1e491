DROP TABLE IF EXISTS password_resets, invitations, api_keys, sessions, users, organizations;
DROP FUNCTION IF EXISTS set_updated_at();
