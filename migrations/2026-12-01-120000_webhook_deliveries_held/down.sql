DROP INDEX webhook_deliveries_held_idx;
UPDATE webhook_deliveries SET status = 'dead' WHERE status = 'held';
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_status_check;
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_status_check
    CHECK (status IN ('pending', 'delivering', 'succeeded', 'failed', 'dead'));
