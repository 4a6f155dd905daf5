//! The wrapping-key pool and the worker threads that fill it.
//!
//! Workers (one per core by default) generate keys outside every lock. A GetParametersForImport
//! that finds no key of its spec queues a demand, which the next free worker serves before any
//! refill; the queue is bounded, and a request waits for its key only up to a deadline, so a
//! pool miss costs the requests that need a key and nothing else. A request that cannot be
//! served (queue full, deadline passed, generation failed) is answered
//! `DependencyTimeoutException`, which AWS SDKs retry.

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::Instant;

use crate::prelude::*;

/// Generates one wrapping key pair; the real one is [`WrappingPrivateKey::generate`].
pub(crate) type Generate =
    dyn Fn(WrappingKeySpec) -> Result<WrappingPrivateKey, KmsError> + Send + Sync + 'static;

const SPECS: [WrappingKeySpec; 3] = [
    WrappingKeySpec::Rsa4096,
    WrappingKeySpec::Rsa3072,
    WrappingKeySpec::Rsa2048,
];

fn slot(spec: WrappingKeySpec) -> Option<usize> {
    SPECS.iter().position(|s| *s == spec)
}

struct Demand {
    spec: WrappingKeySpec,
    reply: SyncSender<WrappingPrivateKey>,
}

struct State {
    keys: WrappingKeyPool,
    demands: VecDeque<Demand>,
    /// Refills in progress per spec (indexed as [`SPECS`]), so that workers do not overshoot
    /// the targets.
    refilling: [usize; 3],
    stop: bool,
}

impl State {
    fn next_refill(&self) -> Option<WrappingKeySpec> {
        SPECS.into_iter().find(|&spec| {
            let busy = slot(spec).and_then(|i| self.refilling.get(i)).copied();
            self.keys.len(spec) + busy.unwrap_or(0) < self.keys.target(spec)
        })
    }

    fn refilling_mut(&mut self, spec: WrappingKeySpec) -> Option<&mut usize> {
        slot(spec).and_then(|i| self.refilling.get_mut(i))
    }
}

enum Job {
    Demand(Demand),
    Refill(WrappingKeySpec),
}

/// The wrapping-key pool, its demand queue and its workers' wake-up.
pub(crate) struct Pool {
    state: Mutex<State>,
    work: Condvar,
    queue_limit: usize,
    wait: StdDuration,
    generate: Box<Generate>,
}

/// How the key-generation threads give way to request handling (`--pool-scheduling`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PoolScheduling {
    /// Linux's SCHED_IDLE class: the threads run only on CPU time nothing else wants, and a
    /// request thread that wakes up takes the CPU from them at once.
    Idle,
    /// The normal class at the niceness `--pool-nice` (0 leaves them at the server's priority).
    Nice,
}

/// Lowers the calling thread's scheduling priority, so that key generation yields the CPU to
/// request handling. Under SCHED_IDLE a request thread preempts key generation as soon as it
/// wakes; a positive niceness only shares the CPU unevenly, so a request can still wait out a
/// scheduler slice of a key-generation thread.
#[cfg(target_os = "linux")]
fn lower_priority(scheduling: PoolScheduling, nice: u8) {
    use thread_priority::{
        NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
        set_thread_priority_and_policy, thread_native_id,
    };
    if scheduling == PoolScheduling::Idle {
        let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
        match set_thread_priority_and_policy(thread_native_id(), ThreadPriority::Min, idle) {
            Ok(()) => return,
            Err(e) => tracing::warn!(
                error = ?e,
                "cannot move a key-generation thread to SCHED_IDLE; using --pool-nice instead"
            ),
        }
    }
    if nice == 0 {
        return;
    }
    // On Linux, setpriority on a thread id applies to that thread alone.
    let tid = rustix::thread::gettid();
    if let Err(e) = rustix::process::setpriority_process(Some(tid), i32::from(nice)) {
        tracing::warn!(error = %e, "cannot lower the priority of a key-generation thread");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority(_scheduling: PoolScheduling, _nice: u8) {}

/// The answer to a request whose wrapping key could not be had in time.
fn unavailable() -> KmsError {
    KmsError::DependencyTimeout(
        "No wrapping key could be generated in time. Retry the request.".to_owned(),
    )
}

impl Pool {
    /// A pool with targets (RSA_2048, RSA_3072, RSA_4096), at most `queue_limit` requests
    /// waiting for a generated key, each for at most `wait`.
    pub(crate) fn new(
        targets: (usize, usize, usize),
        queue_limit: usize,
        wait: StdDuration,
        generate: Box<Generate>,
    ) -> Pool {
        Pool {
            state: Mutex::new(State {
                keys: WrappingKeyPool::with_targets(targets.0, targets.1, targets.2),
                demands: VecDeque::new(),
                refilling: [0; 3],
                stop: false,
            }),
            work: Condvar::new(),
            queue_limit,
            wait,
            generate,
        }
    }

    /// The real key generator, on the OS random source.
    pub(crate) fn os_generator() -> Box<Generate> {
        Box::new(|spec| {
            let mut rng: OsRng = UnwrapErr(SysRng);
            WrappingPrivateKey::generate(spec, &mut rng)
        })
    }

    /// Starts `n` worker threads (0: one per core), each scheduled below request handling as
    /// `scheduling` and `nice` say (Linux only).
    pub(crate) fn start_workers(
        self: &Arc<Self>,
        n: usize,
        scheduling: PoolScheduling,
        nice: u8,
    ) -> std::io::Result<Vec<JoinHandle<()>>> {
        let n = if n == 0 {
            std::thread::available_parallelism().map_or(1, usize::from)
        } else {
            n
        };
        (0..n)
            .map(|i| {
                let pool = Arc::clone(self);
                std::thread::Builder::new()
                    .name(format!("pool-worker-{i}"))
                    .spawn(move || {
                        lower_priority(scheduling, nice);
                        pool.work_forever();
                    })
            })
            .collect()
    }

    /// A key pair of `spec`: from the pool, or generated by a worker on a miss (waiting up to
    /// the deadline). Blocks the calling thread: call it from a blocking worker, never while
    /// holding a lock.
    pub(crate) fn take(&self, spec: WrappingKeySpec) -> Result<WrappingPrivateKey, KmsError> {
        let receiver: Receiver<WrappingPrivateKey> = {
            let mut state = lock(&self.state);
            if let Some(key) = state.keys.take(spec) {
                drop(state);
                self.work.notify_one();
                return Ok(key);
            }
            if state.demands.len() >= self.queue_limit {
                tracing::warn!(
                    spec = %spec,
                    queued = state.demands.len(),
                    "pool miss with the generation queue full: request refused"
                );
                return Err(unavailable());
            }
            let (reply, receiver) = sync_channel(1);
            state.demands.push_back(Demand { spec, reply });
            tracing::info!(
                spec = %spec,
                queued = state.demands.len(),
                "pool miss: wrapping key queued for generation"
            );
            receiver
        };
        self.work.notify_one();
        match receiver.recv_timeout(self.wait) {
            Ok(key) => Ok(key),
            Err(RecvTimeoutError::Timeout) => {
                tracing::warn!(spec = %spec, "pool miss: no key generated before the deadline");
                Err(unavailable())
            }
            Err(RecvTimeoutError::Disconnected) => Err(unavailable()),
        }
    }

    /// Returns a key pair that was taken but not used.
    pub(crate) fn give_back(&self, key: WrappingPrivateKey) {
        self.deliver(key);
    }

    /// Hands `key` to the oldest request waiting for its spec, or keeps it in the pool.
    fn deliver(&self, key: WrappingPrivateKey) {
        let mut state = lock(&self.state);
        let mut key = key;
        while let Some(i) = state.demands.iter().position(|d| d.spec == key.spec()) {
            let Some(demand) = state.demands.remove(i) else {
                break;
            };
            match demand.reply.try_send(key) {
                Ok(()) => return,
                // The request gave up waiting: try the next one, then the pool.
                Err(TrySendError::Disconnected(k) | TrySendError::Full(k)) => key = k,
            }
        }
        state.keys.insert(key);
    }

    /// Tells the workers to stop after the generation they are in.
    pub(crate) fn stop(&self) {
        lock(&self.state).stop = true;
        self.work.notify_all();
    }

    /// How many key pairs of `spec` are ready.
    #[cfg(test)]
    pub(crate) fn ready(&self, spec: WrappingKeySpec) -> usize {
        lock(&self.state).keys.len(spec)
    }

    fn next_job(&self) -> Option<Job> {
        let mut state = lock(&self.state);
        loop {
            if state.stop {
                return None;
            }
            if let Some(demand) = state.demands.pop_front() {
                return Some(Job::Demand(demand));
            }
            if let Some(spec) = state.next_refill() {
                if let Some(n) = state.refilling_mut(spec) {
                    *n += 1;
                }
                return Some(Job::Refill(spec));
            }
            state = self
                .work
                .wait_timeout(state, StdDuration::from_secs(1))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    fn work_forever(&self) {
        while let Some(job) = self.next_job() {
            let spec = match &job {
                Job::Demand(d) => d.spec,
                Job::Refill(spec) => *spec,
            };
            let started = Instant::now();
            let generated = (self.generate)(spec);
            let ms = started.elapsed().as_millis();
            if let Job::Refill(spec) = &job
                && let Some(n) = lock(&self.state).refilling_mut(*spec)
            {
                *n = n.saturating_sub(1);
            }
            match (job, generated) {
                (Job::Demand(demand), Ok(key)) => {
                    tracing::info!(spec = %spec, ms, "pool miss served: wrapping key generated");
                    if let Err(TrySendError::Disconnected(key) | TrySendError::Full(key)) =
                        demand.reply.try_send(key)
                    {
                        self.deliver(key);
                    }
                }
                (Job::Refill(_), Ok(key)) => {
                    tracing::debug!(spec = %spec, ms, "pool refilled");
                    self.deliver(key);
                }
                (_, Err(e)) => {
                    tracing::error!(spec = %spec, error = e.code(), "wrapping key generation failed");
                    std::thread::sleep(StdDuration::from_secs(1));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {

    /// The scheduling policy (field 41) and niceness (field 19) of the calling thread, from
    /// /proc/thread-self/stat.
    #[cfg(target_os = "linux")]
    fn own_policy_and_nice() -> (u32, i32) {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
        // Fields after the command name (which may hold spaces) start at field 3.
        let rest: Vec<&str> = stat[stat.rfind(')').unwrap() + 1..]
            .split_whitespace()
            .collect();
        (rest[41 - 3].parse().unwrap(), rest[19 - 3].parse().unwrap())
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn key_generation_threads_run_in_the_idle_class_or_at_the_given_niceness() {
        const SCHED_OTHER: u32 = 0;
        const SCHED_IDLE: u32 = 5;
        let in_thread = |scheduling, nice| {
            std::thread::spawn(move || {
                lower_priority(scheduling, nice);
                own_policy_and_nice()
            })
            .join()
            .unwrap()
        };
        assert_eq!(in_thread(PoolScheduling::Idle, 10).0, SCHED_IDLE);
        assert_eq!(in_thread(PoolScheduling::Nice, 10), (SCHED_OTHER, 10));
        let (policy, nice) = own_policy_and_nice();
        assert_eq!(in_thread(PoolScheduling::Nice, 0), (policy, nice));
    }
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn real() -> Box<Generate> {
        Pool::os_generator()
    }

    /// A generator that counts the calls it `entered`, waits until `gate` opens, then counts
    /// the keys it `made`.
    fn gated(
        gate: Arc<(Mutex<bool>, Condvar)>,
        entered: Arc<AtomicUsize>,
        made: Arc<AtomicUsize>,
    ) -> Box<Generate> {
        Box::new(move |spec| {
            entered.fetch_add(1, Ordering::SeqCst);
            let (open, cv) = &*gate;
            let mut g = lock(open);
            while !*g {
                g = cv.wait(g).unwrap_or_else(PoisonError::into_inner);
            }
            drop(g);
            made.fetch_add(1, Ordering::SeqCst);
            let mut rng: OsRng = UnwrapErr(SysRng);
            WrappingPrivateKey::generate(spec, &mut rng)
        })
    }

    fn open(gate: &Arc<(Mutex<bool>, Condvar)>) {
        *lock(&gate.0) = true;
        gate.1.notify_all();
    }

    #[test]
    fn workers_fill_the_pool_to_its_target_and_no_further() {
        let pool = Arc::new(Pool::new((2, 0, 0), 4, StdDuration::from_secs(30), real()));
        let workers = pool.start_workers(2, PoolScheduling::Nice, 0).unwrap();
        let deadline = Instant::now() + StdDuration::from_secs(60);
        while pool.ready(WrappingKeySpec::Rsa2048) < 2 && Instant::now() < deadline {
            std::thread::sleep(StdDuration::from_millis(20));
        }
        std::thread::sleep(StdDuration::from_millis(300));
        assert_eq!(pool.ready(WrappingKeySpec::Rsa2048), 2);
        pool.stop();
        for w in workers {
            w.join().unwrap();
        }
    }

    #[test]
    fn a_miss_is_served_by_a_worker() {
        let pool = Arc::new(Pool::new((0, 0, 0), 4, StdDuration::from_secs(60), real()));
        let workers = pool.start_workers(1, PoolScheduling::Nice, 0).unwrap();
        let key = pool.take(WrappingKeySpec::Rsa2048).unwrap();
        assert_eq!(key.spec(), WrappingKeySpec::Rsa2048);
        pool.stop();
        for w in workers {
            w.join().unwrap();
        }
    }

    #[test]
    fn a_full_queue_refuses_at_once_and_a_late_key_goes_to_the_pool() {
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let made = Arc::new(AtomicUsize::new(0));
        let pool = Arc::new(Pool::new(
            (0, 0, 0),
            1,
            StdDuration::from_millis(200),
            gated(
                Arc::clone(&gate),
                Arc::new(AtomicUsize::new(0)),
                Arc::clone(&made),
            ),
        ));
        // No worker yet: the one demand stays queued, the next is refused.
        let waiter = {
            let pool = Arc::clone(&pool);
            std::thread::spawn(move || pool.take(WrappingKeySpec::Rsa2048))
        };
        while lock(&pool.state).demands.is_empty() {
            std::thread::sleep(StdDuration::from_millis(5));
        }
        let refused = pool.take(WrappingKeySpec::Rsa2048);
        assert_eq!(refused.unwrap_err().code(), "DependencyTimeoutException");
        // The queued request gives up at its deadline...
        assert_eq!(
            waiter.join().unwrap().unwrap_err().code(),
            "DependencyTimeoutException"
        );
        // ...and the key made for it afterwards serves the next request from the pool.
        let workers = pool.start_workers(1, PoolScheduling::Nice, 0).unwrap();
        open(&gate);
        let deadline = Instant::now() + StdDuration::from_secs(60);
        while pool.ready(WrappingKeySpec::Rsa2048) < 1 && Instant::now() < deadline {
            std::thread::sleep(StdDuration::from_millis(10));
        }
        assert_eq!(pool.ready(WrappingKeySpec::Rsa2048), 1);
        assert!(pool.take(WrappingKeySpec::Rsa2048).is_ok());
        assert_eq!(made.load(Ordering::SeqCst), 1);
        pool.stop();
        for w in workers {
            w.join().unwrap();
        }
    }

    #[test]
    fn a_pool_miss_holds_no_lock_while_generating() {
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let entered = Arc::new(AtomicUsize::new(0));
        let pool = Arc::new(Pool::new(
            (0, 0, 0),
            4,
            StdDuration::from_secs(60),
            gated(
                Arc::clone(&gate),
                Arc::clone(&entered),
                Arc::new(AtomicUsize::new(0)),
            ),
        ));
        let workers = pool.start_workers(1, PoolScheduling::Nice, 0).unwrap();
        let waiter = {
            let pool = Arc::clone(&pool);
            std::thread::spawn(move || pool.take(WrappingKeySpec::Rsa2048))
        };
        while entered.load(Ordering::SeqCst) == 0 {
            std::thread::sleep(StdDuration::from_millis(5));
        }
        // The worker is inside the generation, and the pool's lock is free.
        assert!(pool.state.try_lock().is_ok());
        assert_eq!(pool.ready(WrappingKeySpec::Rsa2048), 0);
        open(&gate);
        assert!(waiter.join().unwrap().is_ok());
        pool.stop();
        for w in workers {
            w.join().unwrap();
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn workers_run_at_the_given_niceness() {
        fn niceness_of_pool_workers() -> Vec<i64> {
            let mut found = Vec::new();
            for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
                let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
                if !comm.starts_with("pool-worker-") {
                    continue;
                }
                let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
                // Field 19 is the niceness; fields after the command name start at field 3.
                if let Some(nice) = stat
                    .rsplit_once(") ")
                    .and_then(|(_, rest)| rest.split_whitespace().nth(16))
                    .and_then(|n| n.parse().ok())
                {
                    found.push(nice);
                }
            }
            found
        }
        let pool = Arc::new(Pool::new((0, 0, 0), 1, StdDuration::from_secs(1), real()));
        let workers = pool.start_workers(1, PoolScheduling::Nice, 7).unwrap();
        let deadline = Instant::now() + StdDuration::from_secs(30);
        while !niceness_of_pool_workers().contains(&7) {
            assert!(Instant::now() < deadline, "no worker at niceness 7");
            std::thread::sleep(StdDuration::from_millis(10));
        }
        pool.stop();
        for w in workers {
            w.join().unwrap();
        }
    }
}
