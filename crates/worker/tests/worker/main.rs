//! Worker integration tests against real Postgres and Redis, in one binary
//! (one link instead of one per file): each test has its own database,
//! Redis prefix, upload and outbox directories, and its outbound HTTP goes
//! to a server the test starts on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod failover;
mod flows;
mod recovery;
mod support;
