//! The storage crate's integration tests, one binary (one link, one harness) with a
//! module per concern, against real Postgres and Redis servers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod prepared;
mod query_plans;
mod replicas;
mod retention;
mod schema;
mod thread_pools;
mod tls;
