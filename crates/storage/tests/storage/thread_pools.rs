//! The primary pool split per HTTP worker thread: each bound thread checks
//! out only connections of its own shard, and the shards share the
//! configured connection budget.

use diesel::sql_types::Integer;
use diesel_async::RunQueryDsl;
use storage::Database;
use storage::test_support::TestDatabase;

#[derive(diesel::QueryableByName)]
struct Backend {
    #[diesel(sql_type = Integer)]
    pid: i32,
}

/// The backend pids a thread bound to a shard of `db` sees over a few
/// checkouts, two connections held at a time, on its own runtime (as an
/// actix worker has).
fn pids_seen_by_a_bound_thread(db: Database) -> std::thread::JoinHandle<Vec<i32>> {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            db.bind_current_thread();
            let mut pids = Vec::new();
            for _ in 0..5 {
                let (mut a, mut b) = (db.get().await.unwrap(), db.get().await.unwrap());
                for conn in [&mut a, &mut b] {
                    let row: Backend = diesel::sql_query("SELECT pg_backend_pid() AS pid")
                        .get_result(&mut **conn)
                        .await
                        .unwrap();
                    pids.push(row.pid);
                }
            }
            pids
        })
    })
}

#[tokio::test]
async fn each_bound_thread_uses_its_own_connections_within_the_shared_budget() {
    let test = TestDatabase::new().await;
    let db = Database::connect_lazy_per_thread(&test.config(4), 2);

    let first = pids_seen_by_a_bound_thread(db.clone());
    let second = pids_seen_by_a_bound_thread(db.clone());
    let (first, second) = (first.join().unwrap(), second.join().unwrap());

    assert!(
        first.iter().all(|pid| !second.contains(pid)),
        "the two threads shared a connection: {first:?} and {second:?}"
    );
    let distinct = |pids: &[i32]| {
        let mut pids = pids.to_vec();
        pids.sort_unstable();
        pids.dedup();
        pids.len()
    };
    assert_eq!(
        distinct(&first),
        2,
        "a shard holds half of the 4 connections"
    );
    assert_eq!(
        distinct(&second),
        2,
        "a shard holds half of the 4 connections"
    );
    let stats = db.stats();
    assert_eq!(stats.max, 4, "the budget is the configured one");
    assert!(stats.total <= 4, "{stats:?}");
}

#[tokio::test]
async fn an_unbound_thread_uses_the_one_pool_of_an_unsplit_database() {
    let test = TestDatabase::new().await;
    let db = Database::connect_lazy_per_thread(&test.config(3), 1);
    let _held = (db.get().await.unwrap(), db.get().await.unwrap());
    let stats = db.stats();
    assert_eq!((stats.max, stats.active), (3, 2), "{stats:?}");
}
