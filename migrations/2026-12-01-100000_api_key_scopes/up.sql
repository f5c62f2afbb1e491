-- API key scopes become real: keys made before scopes could be chosen had
-- full access, so they get every scope; from now on a key names at least
-- one known scope (the list of crates/api/src/auth/scope.rs).
UPDATE api_keys SET scopes = ARRAY[
    'agents:read', 'agents:write', 'calls:read', 'knowledge:read', 'knowledge:write',
    'providers:read', 'providers:write', 'webhooks:read', 'webhooks:write',
    'team:read', 'team:write', 'realtime:read'
] WHERE scopes = '{}';
ALTER TABLE api_keys ALTER COLUMN scopes DROP DEFAULT;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_scopes_known CHECK (
    cardinality(scopes) >= 1
    AND scopes <@ ARRAY[
        'agents:read', 'agents:write', 'calls:read', 'knowledge:read', 'knowledge:write',
        'providers:read', 'providers:write', 'webhooks:read', 'webhooks:write',
        'team:read', 'team:write', 'realtime:read'
    ]::text[]
);
