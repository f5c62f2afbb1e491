//! One module per table: its model, insert and update types, and the queries
//! the API and the worker run. Tenant tables take the organization id first
//! and filter on it in every query.

pub mod agents;
pub mod analytics;
pub mod api_keys;
pub mod audit_logs;
pub mod call_logs;
pub mod documents;
pub mod email_outbox;
pub mod integrations;
pub mod invitations;
pub mod knowledge_base;
pub mod leases;
pub mod organizations;
pub mod password_resets;
pub mod provider_integrations;
pub mod sessions;
pub mod usage;
pub mod users;
pub mod webhook_deliveries;
pub mod webhooks;
