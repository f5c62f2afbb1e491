//! API integration tests: one binary, a module per resource, each test on a
//! spawned server with its own database and Redis prefix.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#![allow(dead_code)]

mod agents;
mod analytics;
mod cache;
mod call_logs;
mod health;
mod platform;
mod inbound_webhooks;
mod seed;
mod helpers;
mod api_keys;
mod audit_logs;
mod auth;
mod users;
mod knowledge_base;
mod integrations;
mod providers;
mod webhooks;
mod admin;
mod documents;
mod enqueue;
mod webhook_deliveries;
