//! Logs: `tracing` events on stderr, written by a background thread through a bounded buffer.
//! When stderr is slower than the server (a full pipe nobody reads), lines past the buffer are
//! dropped rather than making a request wait.
//!
//! No event carries a secret: requests are logged by operation, key identifier, outcome and
//! latency only, never by body.

use tracing_appender::non_blocking::{ErrorCounter, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::filter::LevelFilter;

use crate::args::Args;

/// Keeps the log writer running; dropping it flushes what is buffered.
pub struct LogGuard {
    _worker: WorkerGuard,
    dropped: ErrorCounter,
}

impl LogGuard {
    /// Lines dropped so far because stderr could not keep up.
    pub fn dropped_lines(&self) -> usize {
        self.dropped.dropped_lines()
    }
}

/// Installs the global subscriber for `--log-level`, `--log-format` and `--log-buffer`.
pub fn init(args: &Args) -> Result<LogGuard, String> {
    let level = match args.log_level.as_str() {
        "error" => LevelFilter::ERROR,
        "warn" => LevelFilter::WARN,
        "debug" => LevelFilter::DEBUG,
        _ => LevelFilter::INFO,
    };
    let (writer, worker) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(usize::try_from(args.log_buffer).unwrap_or(65_536))
        .thread_name("log-writer")
        .finish(std::io::stderr());
    let dropped = writer.error_counter();
    let builder = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_max_level(level)
        .with_ansi(false)
        .with_target(false);
    let installed = if args.log_format == "json" {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
    installed.map_err(|e| format!("cannot set up logging: {e}"))?;
    Ok(LogGuard {
        _worker: worker,
        dropped,
    })
}
