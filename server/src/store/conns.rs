//! A bounded set of database connections: at most `max` open at once, idle ones reused, a
//! caller that finds none free waits (outside any lock the operations hold) until one is
//! returned. A connection its user reports broken is closed and not reused.

use crate::prelude::*;

use super::StoreError;

struct State<C> {
    idle: Vec<C>,
    open: usize,
}

pub(crate) struct Conns<C> {
    state: Mutex<State<C>>,
    freed: Condvar,
    max: usize,
}

impl<C> Conns<C> {
    pub(crate) fn new(first: C, max: usize) -> Conns<C> {
        Conns {
            state: Mutex::new(State {
                idle: vec![first],
                open: 1,
            }),
            freed: Condvar::new(),
            max: max.max(1),
        }
    }

    /// Runs `f` on a connection; `connect` opens a new one when none is idle and fewer than
    /// `max` are open; `reusable` says whether a connection may go back after `f`.
    pub(crate) fn with<T>(
        &self,
        connect: impl FnOnce() -> Result<C, StoreError>,
        reusable: impl FnOnce(&mut C, bool) -> bool,
        f: impl FnOnce(&mut C) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let taken = {
            let mut state = lock(&self.state);
            loop {
                if let Some(c) = state.idle.pop() {
                    break Some(c);
                }
                if state.open < self.max {
                    state.open += 1;
                    break None;
                }
                state = self
                    .freed
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        };
        let mut conn = match taken {
            Some(c) => c,
            None => match connect() {
                Ok(c) => c,
                Err(e) => {
                    self.release(None);
                    return Err(e);
                }
            },
        };
        let out = f(&mut conn);
        let keep = reusable(&mut conn, out.is_ok());
        self.release(keep.then_some(conn));
        out
    }

    /// Takes every idle connection out (to close them where closing is allowed).
    pub(crate) fn take_idle(&self) -> Vec<C> {
        let mut state = lock(&self.state);
        let idle = std::mem::take(&mut state.idle);
        state.open -= idle.len();
        idle
    }

    fn release(&self, conn: Option<C>) {
        let mut state = lock(&self.state);
        match conn {
            Some(c) => state.idle.push(c),
            None => state.open -= 1,
        }
        drop(state);
        self.freed.notify_one();
    }
}
