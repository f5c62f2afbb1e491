-- Deliveries of a disabled endpoint wait as 'held' instead of dying, so
-- re-enabling the endpoint (PATCH /api/webhooks/{id} isActive=true)
-- delivers them.
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_status_check;
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_status_check
    CHECK (status IN ('pending', 'delivering', 'succeeded', 'failed', 'dead', 'held'));
CREATE INDEX webhook_deliveries_held_idx ON webhook_deliveries (webhook_id) WHERE status = 'held';
COMMENT ON INDEX webhook_deliveries_held_idx IS 'serves: resuming the held deliveries of a re-enabled endpoint';
