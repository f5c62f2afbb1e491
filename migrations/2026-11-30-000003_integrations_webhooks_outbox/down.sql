DROP TABLE IF EXISTS audit_logs, email_outbox, webhook_deliveries, webhooks, provider_integrations, integrations;
