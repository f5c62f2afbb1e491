//! The kv crate's integration tests, one binary with a module per concern,
//! against a real Redis (the shared server, private ones, a Sentinel group).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cache;
mod failover;
mod first_level;
