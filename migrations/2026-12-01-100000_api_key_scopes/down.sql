ALTER TABLE api_keys DROP CONSTRAINT api_keys_scopes_known;
ALTER TABLE api_keys ALTER COLUMN scopes SET DEFAULT '{}';
