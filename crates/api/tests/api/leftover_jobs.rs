//! The check a `TestApp` runs when it is dropped (crates.io's `TestApp` is the
//! model): no job may be left pending, waiting for a retry or dead in the
//! test's queues. A job left behind is work the test started and never saw
//! finish, or a failure nobody looked at. A test that leaves jobs on purpose
//! says why with `TestApp::leaves_jobs`.

use jobs::{Queue, Queues};
use kv::RedisPool;
use settings::RedisConfig;

/// `queue: n pending, n scheduled, n dead` for every queue but `exempt` with
/// leftovers; `None` when Redis cannot be asked (a test that stopped its Redis).
pub fn leftovers(config: &RedisConfig, exempt: &[Queue]) -> Option<Vec<String>> {
    let (config, exempt) = (config.clone(), exempt.to_vec());
    // Drop runs outside async: a helper thread with its own runtime can
    // block whichever runtime (if any) the test used.
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        runtime.block_on(async move {
            let queues = Queues::new(RedisPool::connect_lazy(&config).ok()?);
            let stats = queues.stats().await.ok()?;
            Some(
                stats
                    .into_iter()
                    .filter(|s| !exempt.contains(&s.queue))
                    .filter(|s| s.pending + s.scheduled + s.dead > 0)
                    .map(|s| {
                        format!(
                            "{}: {} pending, {} scheduled, {} dead",
                            s.queue.as_str(),
                            s.pending,
                            s.scheduled,
                            s.dead
                        )
                    })
                    .collect(),
            )
        })
    })
    .join()
    .ok()
    .flatten()
}

#[tokio::test]
#[should_panic(expected = "the test left jobs in its queues (document-processing: 1 pending")]
async fn a_job_left_behind_fails_the_test_that_left_it() {
    let app = crate::helpers::spawn_app().await;
    app.state.jobs.enqueue_document(uuid::Uuid::new_v4()).await;
}

#[tokio::test]
async fn a_queue_the_test_opted_out_of_is_not_checked() {
    let app = crate::helpers::spawn_app().await;
    app.leaves_jobs(Queue::DocumentProcessing, "this test's subject");
    app.state.jobs.enqueue_document(uuid::Uuid::new_v4()).await;
}
