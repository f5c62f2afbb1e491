//! Read replicas against real streaming replicas (a private primary and two
//! replicas made with `pg_basebackup`, see `test_support::pg_cluster`): reads
//! spread over the replicas, a stopped replica is skipped without an error,
//! a replica whose replay is paused is skipped once it lags, and a write is
//! visible to its organization at once (its reads are pinned to the primary).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use diesel::sql_types::Integer;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use kv::RedisPool;
use kv::test_support::TestRedis;
use storage::Database;
use storage::models::organizations::{self, NewOrganization};
use storage::replicas::ReplicaState;
use storage::test_support::pg_cluster::PgCluster;
use uuid::Uuid;

#[derive(diesel::QueryableByName)]
struct Port {
    #[diesel(sql_type = Integer)]
    port: i32,
}

/// Which server answered one read of `org` (its port).
async fn answered_by(db: &Database, org: Uuid) -> u16 {
    let mut conn = db.read(org).await.expect("a read connection");
    let row: Port = diesel::sql_query("SELECT inet_server_port() AS port")
        .get_result(&mut *conn)
        .await
        .expect("the read runs");
    u16::try_from(row.port).unwrap()
}

/// How many of `n` reads of `org` each server answered.
async fn spread(db: &Database, org: Uuid, n: usize) -> HashMap<u16, usize> {
    let mut counts = HashMap::new();
    for _ in 0..n {
        *counts.entry(answered_by(db, org).await).or_default() += 1;
    }
    counts
}

/// Polls until replica `index` is reported in `state` (the monitor checks
/// every 250 ms); a state never reached fails after a minute.
async fn wait_for_state(db: &Database, index: usize, state: ReplicaState) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while db.replicas()[index].state != state {
        assert!(
            Instant::now() < deadline,
            "replica {index} never became {state:?}: {:?}",
            db.replicas()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn new_org(db: &Database) -> Uuid {
    let mut conn = db.get().await.unwrap();
    let org = organizations::insert(
        &mut conn,
        &NewOrganization {
            name: format!("Org {}", Uuid::new_v4().simple()),
            subdomain: None,
            plan: "pro".into(),
            max_agents: 5,
            max_users: 5,
        },
    )
    .await
    .unwrap();
    org.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_follow_replica_health_and_writers_read_their_writes() {
    let mut cluster = PgCluster::start(2).await;
    let redis = TestRedis::new();
    let pins = RedisPool::connect_lazy(&redis.config()).unwrap();
    let db = Database::connect_lazy(&cluster.config(3)).with_write_pins(pins);
    let (primary, r0, r1) = (
        cluster.primary.port,
        cluster.replicas[0].port,
        cluster.replicas[1].port,
    );
    wait_for_state(&db, 0, ReplicaState::Ok).await;
    wait_for_state(&db, 1, ReplicaState::Ok).await;

    // An organization that has not written reads from both replicas only.
    let reader = Uuid::new_v4();
    let counts = spread(&db, reader, 40).await;
    println!("two fit replicas: {counts:?} (primary {primary}, replicas {r0}, {r1})");
    assert!(counts.get(&r0).copied().unwrap_or(0) > 0, "{counts:?}");
    assert!(counts.get(&r1).copied().unwrap_or(0) > 0, "{counts:?}");
    assert!(!counts.contains_key(&primary), "{counts:?}");
    assert_eq!(db.replicas().iter().map(|r| r.reads).sum::<u64>(), 40);

    // A replica goes down: once it is seen down, reads go on, on the other.
    cluster.stop_replica(0);
    wait_for_state(&db, 0, ReplicaState::Unreachable).await;
    let counts = spread(&db, reader, 20).await;
    println!("replica {r0} stopped: {counts:?}");
    assert_eq!(counts.get(&r1), Some(&20), "{counts:?}");

    // Replay paused on the remaining replica: a new organization's row is
    // on the primary only.
    let mut paused = AsyncPgConnection::establish(&cluster.replica_url(1))
        .await
        .unwrap();
    diesel::sql_query("SELECT pg_wal_replay_pause()")
        .execute(&mut paused)
        .await
        .unwrap();
    let writer = new_org(&db).await;
    db.write_pins().unwrap().pin(writer).await;
    assert!(
        organizations::find(&mut paused, writer).await.is_err(),
        "the paused replica must not have the write yet"
    );
    // The writer sees its write at once: its reads are pinned to the primary.
    let mut conn = db.read(writer).await.unwrap();
    assert_eq!(
        organizations::find(&mut conn, writer).await.unwrap().id,
        writer
    );
    drop(conn);
    assert_eq!(answered_by(&db, writer).await, primary);

    // Once its lag passes the bound the paused replica takes no reads.
    wait_for_state(&db, 1, ReplicaState::Lagging).await;
    let counts = spread(&db, reader, 20).await;
    println!("replica {r1} lagging: {counts:?}");
    assert_eq!(counts.get(&primary), Some(&20), "{counts:?}");

    // Replay resumes: the replica catches up and takes reads again.
    diesel::sql_query("SELECT pg_wal_replay_resume()")
        .execute(&mut paused)
        .await
        .unwrap();
    wait_for_state(&db, 1, ReplicaState::Ok).await;
    assert_eq!(answered_by(&db, reader).await, r1);
    let health = serde_json::to_value(db.replicas()).unwrap();
    assert!(!health.to_string().contains("postgres@"), "{health}");
}
