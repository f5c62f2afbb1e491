//! `echosenseix-worker`: serves the job queues named by `--queues` with the
//! concurrency of `--concurrency`; SIGTERM or Ctrl-C drains and exits 0.

use settings::telemetry;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = dotenvy::dotenv();
    let config = worker::parse_config();
    telemetry::init(
        config.log.format,
        "info,echosenseix_worker=info,worker=info,apalis=warn,apalis_core=warn",
    );
    let mut running = worker::start(config).await?;
    shutdown_signal().await;
    running.shutdown();
    running.join().await
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
