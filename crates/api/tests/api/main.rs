//! API integration tests: one binary, a module per resource, each test on a
//! spawned server with its own database and Redis prefix.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)]

mod admin;
mod agents;
mod analytics;
mod api_keys;
mod audit_logs;
mod auth;
mod cache;
mod cache_levels;
mod call_logs;
mod cli;
mod console;
mod documents;
mod edge;
mod enqueue;
mod health;
mod helpers;
mod inbound_webhook_tenants;
mod inbound_webhooks;
mod integrations;
mod invitations;
mod key_rotation;
mod knowledge_base;
mod leftover_jobs;
mod logs;
mod openapi;
mod platform;
mod provider_host;
mod providers;
mod quotas;
mod replicas;
mod revocation;
mod schemathesis;
mod scopes;
mod sealed_mail;
mod security_defaults;
mod users;
mod webhook_deliveries;
mod webhooks;
