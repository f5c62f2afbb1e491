//! The EchoSenseiX HTTP API: actix-web routes over the shared storage crate.

pub mod audit;
pub mod audited;
pub mod auth;
pub mod cached;
pub mod config;
pub mod console;
pub mod docs_viewer;
pub mod error;
pub mod extractors;
pub mod http_defaults;
pub mod input;
pub mod json_out;
pub mod metrics;
pub mod openapi;
pub mod password;
pub mod providers;
pub mod quota;
pub mod rate_limit;
pub mod read_your_writes;
pub mod request_meta;
pub mod request_span;
pub mod routes;
pub mod startup;
pub mod state;
pub mod webhook_signature;
