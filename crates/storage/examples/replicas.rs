//! `make replicas`: a private Postgres primary with two streaming replicas
//! on free ports (the test harness's), running until Ctrl-C, for trying
//! replica routing by hand. Everything stops and is deleted on exit.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use storage::test_support::pg_cluster::PgCluster;

#[tokio::main]
async fn main() {
    let replicas = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(2);
    let cluster = PgCluster::start(replicas).await;
    let urls: Vec<String> = (0..replicas).map(|i| cluster.replica_url(i)).collect();
    println!("DATABASE_URL={}", cluster.primary_url());
    println!("DATABASE_REPLICA_URLS={}", urls.join(","));
    println!("(migrated; Ctrl-C stops the servers and deletes their folder)");
    let _ = tokio::signal::ctrl_c().await;
    drop(cluster);
}
