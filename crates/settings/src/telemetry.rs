//! Tracing set-up for both binaries: an env filter (`RUST_LOG`), text or JSON
//! lines on stdout.

use tracing_subscriber::EnvFilter;

use crate::LogFormat;

/// Installs the global subscriber; `default_filter` applies when `RUST_LOG`
/// is unset. Calling it twice is harmless (the second call is ignored).
pub fn init(format: LogFormat, default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
