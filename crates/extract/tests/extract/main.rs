//! The one integration-test binary of the extract crate: a module per concern.
// Test code: a failed unwrap is a failed test, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod budgets;
mod chunking;
mod fixtures;
mod formats;
mod properties;
