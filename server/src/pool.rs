//! The wrapping-key pool and the thread that refills it.

use crate::prelude::*;

/// The wrapping-key pool, shared with the refill thread.
pub(crate) struct Pool {
    pub(crate) pool: Mutex<WrappingKeyPool>,
    pub(crate) wake: Condvar,
    pub(crate) stop: AtomicBool,
}

impl Pool {
    pub(crate) fn take(&self, spec: WrappingKeySpec) -> Option<WrappingPrivateKey> {
        let key = lock(&self.pool).take(spec);
        self.wake.notify_one();
        key
    }

    pub(crate) fn give_back(&self, key: WrappingPrivateKey) {
        lock(&self.pool).insert(key);
    }

    /// Generates the keys the pool lacks, outside the lock, until told to stop.
    pub(crate) fn refill_forever(&self) {
        let mut rng: OsRng = UnwrapErr(SysRng);
        loop {
            let spec = {
                let mut pool = lock(&self.pool);
                loop {
                    if self.stop.load(Ordering::Relaxed) {
                        return;
                    }
                    if let Some(spec) = pool.next_to_refill() {
                        break spec;
                    }
                    pool = self
                        .wake
                        .wait_timeout(pool, StdDuration::from_secs(1))
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
            };
            match WrappingPrivateKey::generate(spec, &mut rng) {
                Ok(key) => lock(&self.pool).insert(key),
                Err(e) => {
                    println!(
                        "pool: generating a {spec} wrapping key failed: {}",
                        e.code()
                    );
                    std::thread::sleep(StdDuration::from_secs(1));
                }
            }
        }
    }
}
