//! Command-line arguments.

use crate::prelude::*;

/// A local AWS KMS endpoint for the key-material import flows.
///
/// Credentials are NOT checked: any SigV4 signature is accepted. Do not expose this server to a
/// network; it is a local tool. State lives in memory unless --store names a database.
///
/// Prints `listening on http://ADDR` on stdout once it accepts connections; logs go to stderr,
/// one event per request. SIGTERM or SIGINT stops accepting, answers every request in flight,
/// then exits 0.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "kms-import-server", version, verbatim_doc_comment)]
pub struct Args {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:4599")]
    pub listen: SocketAddr,
    /// Region of requests that name none (unsigned requests). Every Region is served: a
    /// request signed for another Region (its SigV4 credential scope) works on that Region's keys.
    #[arg(long, value_name = "REGION", default_value = "us-east-1")]
    pub region: String,
    /// Distinct Regions served at most, the default one included (1 to 4096); a request for
    /// one more answers UnsupportedOperationException.
    #[arg(long = "max-regions", value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=4096))]
    pub max_regions: u16,
    /// 12-digit account of the key ARNs.
    #[arg(long, value_name = "ACCOUNT", default_value = "111122223333")]
    pub account: String,

    /// RSA_2048 wrapping keys kept ready (0 to 64).
    #[arg(long = "pool-rsa-2048", value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=64), help_heading = "Wrapping-key pool")]
    pub pool_rsa_2048: u8,
    /// RSA_3072 wrapping keys kept ready (0 to 64).
    #[arg(long = "pool-rsa-3072", value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=64), help_heading = "Wrapping-key pool")]
    pub pool_rsa_3072: u8,
    /// RSA_4096 wrapping keys kept ready (0 to 64).
    #[arg(long = "pool-rsa-4096", value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u8).range(0..=64), help_heading = "Wrapping-key pool")]
    pub pool_rsa_4096: u8,
    /// Threads that generate wrapping keys (refills and pool misses); 0 means one per core.
    #[arg(long = "pool-workers", value_name = "N", default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=256), help_heading = "Wrapping-key pool")]
    pub pool_workers: u16,
    /// How those threads yield the CPU to request handling on Linux: `idle` runs them in the
    /// SCHED_IDLE class (a waking request takes the CPU from them at once); `nice` runs them at
    /// the niceness --pool-nice. Where SCHED_IDLE cannot be set, --pool-nice applies.
    #[arg(long = "pool-scheduling", value_name = "CLASS", value_enum, default_value_t = crate::pool::PoolScheduling::Idle, help_heading = "Wrapping-key pool")]
    pub pool_scheduling: crate::pool::PoolScheduling,
    /// Scheduling niceness of those threads under `--pool-scheduling nice` on Linux (0 to 19;
    /// 0 leaves them at the server's priority).
    #[arg(long = "pool-nice", value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u8).range(0..=19), help_heading = "Wrapping-key pool")]
    pub pool_nice: u8,
    /// GetParametersForImport requests that may wait for a key generated on a pool miss
    /// (1 to 4096). Past that, the request is answered DependencyTimeoutException at once.
    #[arg(long = "keygen-queue", value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=4096), help_heading = "Wrapping-key pool")]
    pub keygen_queue: u16,
    /// How long a GetParametersForImport request waits for a key generated on a pool miss
    /// before it is answered DependencyTimeoutException (retryable).
    #[arg(long = "keygen-timeout", value_name = "SECS", default_value = "20", value_parser = parse_secs, help_heading = "Wrapping-key pool")]
    pub keygen_timeout: StdDuration,

    /// Most connections open at once. At the cap, or when the process runs out of file
    /// descriptors, new connections wait in the listen backlog until one closes. Capped
    /// below the open-file limit (ulimit -n).
    #[arg(long = "max-connections", value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=1_000_000), help_heading = "Connections")]
    pub max_connections: u32,
    /// A client must send a request's complete headers within this time once it starts
    /// one; otherwise its connection is closed.
    #[arg(long = "header-timeout", value_name = "SECS", default_value = "10", value_parser = parse_secs, help_heading = "Connections")]
    pub header_timeout: StdDuration,
    /// A client must send a request's complete body within this time after its headers;
    /// otherwise it is answered 408 and its connection closed.
    #[arg(long = "body-timeout", value_name = "SECS", default_value = "30", value_parser = parse_secs, help_heading = "Connections")]
    pub body_timeout: StdDuration,
    /// A connection with no request in progress is closed after this time (this also bounds
    /// a client that does not read its answer).
    #[arg(long = "idle-timeout", value_name = "SECS", default_value = "60", value_parser = parse_secs, help_heading = "Connections")]
    pub idle_timeout: StdDuration,
    /// On SIGTERM/SIGINT, how long to wait for requests in flight before exiting anyway.
    #[arg(long = "shutdown-timeout", value_name = "SECS", default_value = "30", value_parser = parse_secs, help_heading = "Connections")]
    pub shutdown_timeout: StdDuration,

    /// Request-rate quotas, as AWS KMS documents them per account and operation (requests
    /// per second): `on` applies AWS's defaults, and excess requests are answered
    /// ThrottlingException; `off` (the default) throttles nothing. Off by default because
    /// test suites drive a local endpoint back to back, and AWS's GetParametersForImport
    /// quota (one request every 4 s) would throttle them; turn it on for a shared service.
    #[arg(long = "rate-limits", value_name = "on|off", default_value = "off", value_parser = ["on", "off"], help_heading = "Request-rate quotas")]
    pub rate_limits: String,
    /// Overrides one quota: NAME=RATE, where NAME is an operation (GetParametersForImport,
    /// ImportKeyMaterial, DescribeKey, ...) or a shared group (cryptographic-symmetric,
    /// cryptographic-asymmetric), and RATE is requests per second (0.25 is one every 4 s;
    /// 0 refuses every request). Repeatable. Defaults: cryptographic-symmetric 5500
    /// (Encrypt, Decrypt, GenerateMac, VerifyMac), cryptographic-asymmetric 1000 (Sign,
    /// Verify), GetParametersForImport 0.25, ImportKeyMaterial 5,
    /// DeleteImportedKeyMaterial 15, DescribeKey 2000, GetPublicKey 2000, ListKeys 500,
    /// ListAliases 500, ListKeyRotations 100, CreateKey 5, CreateAlias 5, DeleteAlias 15,
    /// EnableKey 5, DisableKey 5, ScheduleKeyDeletion 15, CancelKeyDeletion 5,
    /// RotateKeyOnDemand 5.
    #[arg(long = "rate-limit", value_name = "NAME=RATE", value_parser = crate::quota::parse_override, help_heading = "Request-rate quotas")]
    pub rate_limit: Vec<(String, f64)>,

    /// Log verbosity on stderr: error, warn, info (one event per request) or debug.
    #[arg(long = "log-level", value_name = "LEVEL", default_value = "info", value_parser = ["error", "warn", "info", "debug"], help_heading = "Logging")]
    pub log_level: String,
    /// Log format on stderr: text (key=value) or json (one object per line).
    #[arg(long = "log-format", value_name = "FORMAT", default_value = "text", value_parser = ["text", "json"], help_heading = "Logging")]
    pub log_format: String,
    /// Log lines buffered for the log writer; when stderr is slower than the server, lines
    /// beyond this are dropped (counted, never blocking a request).
    #[arg(long = "log-buffer", value_name = "LINES", default_value_t = 65_536, value_parser = clap::value_parser!(u32).range(16..=16_777_216), help_heading = "Logging")]
    pub log_buffer: u32,

    /// Where keys live: memory (the default, gone with the process), sqlite:PATH (one file,
    /// created on first start) or postgres://USER@HOST/DB (many instances on one database).
    #[arg(
        long,
        value_name = "STORE",
        default_value = "memory",
        help_heading = "Store"
    )]
    pub store: crate::store::StoreSpec,
    /// The secrets file (sealing, storage and commitment keys) every instance on a store shares;
    /// required with sqlite: and postgres: stores. Make one with `keys generate --out FILE`.
    #[arg(long, value_name = "FILE", help_heading = "Store")]
    pub secrets: Option<std::path::PathBuf>,
    /// KMS keys per account and Region (AWS's quota: 100,000); past it CreateKey answers LimitExceededException.
    #[arg(
        long = "max-keys",
        value_name = "N",
        default_value_t = 100_000,
        help_heading = "Limits per account and Region"
    )]
    pub max_keys: u64,
    /// Aliases per KMS key (AWS's quota: 50); past it CreateAlias answers LimitExceededException.
    #[arg(
        long = "max-aliases-per-key",
        value_name = "N",
        default_value_t = 50,
        help_heading = "Limits per account and Region"
    )]
    pub max_aliases_per_key: u64,
    /// Aliases per account and Region (AWS sets no such quota; this server's bound, LimitExceededException).
    #[arg(
        long = "max-aliases",
        value_name = "N",
        default_value_t = 100_000,
        help_heading = "Limits per account and Region"
    )]
    pub max_aliases: u64,
    /// Import tokens outstanding per account and Region, neither used nor expired (AWS sets no such quota;
    /// this server's bound: GetParametersForImport answers LimitExceededException past it).
    #[arg(
        long = "max-outstanding-tokens",
        value_name = "N",
        default_value_t = 10_000,
        help_heading = "Limits per account and Region"
    )]
    pub max_outstanding_tokens: u64,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands (without one, the server runs).
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Manage the secrets file.
    #[command(subcommand)]
    Keys(KeysCommand),
}

/// `keys` subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum KeysCommand {
    /// Write a new secrets file (mode 0600; an existing file is never overwritten).
    Generate {
        /// Where to write it.
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
    },
}

impl Args {
    /// The defaults, as if no flag had been given (for tests and embedders).
    pub fn defaults() -> Args {
        <Args as clap::Parser>::parse_from(["kms-import-server"])
    }
}

fn parse_secs(s: &str) -> Result<StdDuration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds (e.g. 10 or 0.5)"))?;
    if !(0.001..=86_400.0).contains(&secs) {
        return Err(format!("{secs} s is outside 0.001 to 86400 seconds"));
    }
    Ok(StdDuration::from_secs_f64(secs))
}
