//! A local AWS KMS endpoint for the import ("bring your own key") flows, built on kms-import.
//!
//! The `kms-import-server` binary is a thin wrapper around [`run`]; tests start the same server
//! in process.
//!
//! ```text
//! kms-import-server --listen 127.0.0.1:4599
//! ```
//!
//! It speaks AWS JSON 1.1 (`POST /`, `X-Amz-Target: TrentService.<Operation>`), so the AWS
//! SDKs and the AWS CLI talk to it with `--endpoint-url` / `endpoint_url=`. Keys and aliases
//! live in memory, or with `--store` in a SQLite file or a PostgreSQL database that many
//! instances share; records are sealed at rest under the storage keys of the `--secrets` file.
//!
//! Every Region is served, and keys are regional, as in AWS: the Region of a request's SigV4
//! credential scope selects the keys, aliases and quotas it works with. A key belongs to the
//! Region of the request that created it (its ARN names that Region); a request signed for
//! another Region does not see it (NotFoundException), and lists only its own Region's keys
//! and aliases. Requests without a credential scope are for `--region`. At most
//! `--max-regions` distinct Regions are served.
//!
//! **Credentials are not checked.** Any SigV4 signature (or none) is accepted: this is a local
//! development and test tool, not a service to expose to a network.
//!
//! Operations: CreateKey (origins AWS_KMS and EXTERNAL), DescribeKey, ListKeys,
//! GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial, EnableKey, DisableKey,
//! ScheduleKeyDeletion, CancelKeyDeletion, GetPublicKey, Encrypt, Decrypt, GenerateMac,
//! VerifyMac, Sign, Verify, CreateAlias, DeleteAlias, ListAliases, RotateKeyOnDemand (imported
//! and generated symmetric material), ListKeyRotations. Everything else answers
//! `UnsupportedOperationException`.
//!
//! SYMMETRIC_DEFAULT ciphertexts use this server's own envelope (AES-256-GCM; see
//! `envelope`), not AWS's format: they decrypt here only.

#![forbid(unsafe_code)]

pub mod alias;
mod answers;
pub mod args;
pub mod crypto;
mod envelope;
pub mod error;
mod generated;
mod http;
pub mod logging;
mod material;
pub mod names;
mod ops;
mod pool;
mod quota;
mod region;
mod secrets;
mod store;
mod tags;
pub mod wire;

pub use pool::PoolScheduling;
pub use secrets::generate_file as generate_secrets_file;
pub use store::StoreSpec;

/// What every module of the server uses.
mod prelude {
    pub(crate) use std::collections::BTreeMap;
    pub(crate) use std::convert::Infallible;
    pub(crate) use std::net::SocketAddr;
    pub(crate) use std::str::FromStr;
    pub(crate) use std::sync::atomic::{AtomicU64, Ordering};
    pub(crate) use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
    pub(crate) use std::time::Duration as StdDuration;

    pub(crate) use crate::alias::{AliasContext, AliasName, KeyIdentifier, ResolvedKeyRef};
    pub(crate) use crate::crypto::MaterialCrypto;
    pub(crate) use crate::error::Error;
    pub(crate) use crate::material::generate_material;
    pub(crate) use crate::names::{
        EncryptionAlgorithmSpec, MacAlgorithmSpec, MessageType, SigningAlgorithmSpec,
    };
    pub(crate) use crate::wire::{self, Operation, Request, Response};
    pub(crate) use aes_gcm::aead::{AeadInOut, KeyInit};
    pub(crate) use aes_gcm::{Aes256Gcm, Key as GcmKey, Nonce as GcmNonce, Tag as GcmTag};
    pub(crate) use getrandom::SysRng;
    pub(crate) use http_body_util::{BodyExt, Full, Limited};
    pub(crate) use hyper::body::Incoming;
    pub(crate) use hyper::server::conn::http1;
    pub(crate) use hyper::service::service_fn;
    pub(crate) use hyper::{Method, StatusCode};
    pub(crate) use hyper_util::rt::TokioIo;
    pub(crate) use kms_import::Error as KmsError;
    pub(crate) use kms_import::ImportService;
    pub(crate) use kms_import::KeyOperation;
    pub(crate) use kms_import::WrappingKeyPool;
    pub(crate) use kms_import::{CreateKeyParams, KeyRecord};
    pub(crate) use kms_import::{KeyContext, KeyId};
    pub(crate) use kms_import::{
        KeyMaterial, KeyMaterialId, KeySpec, KeyState, KeyUsage, Origin, ValidatedMaterial,
        WrappingKeySpec, validate_material,
    };
    pub(crate) use kms_import::{SealingKey, SealingKeys};
    pub(crate) use kms_import::{WrappingPrivateKey, check_compatible};
    pub(crate) use rand_core::{CryptoRng, UnwrapErr};
    pub(crate) use time::OffsetDateTime;
    pub(crate) use zeroize::Zeroizing;

    pub(crate) type OsRng = UnwrapErr<SysRng>;

    /// Requests with a larger body are refused before they are parsed.
    pub(crate) const MAX_BODY_BYTES: usize = 1 << 20;

    pub(crate) use crate::answers::*;
    pub(crate) use crate::args::Args;
    pub(crate) use crate::envelope::*;
    pub(crate) use crate::generated::*;
    pub(crate) use crate::http::*;
    pub(crate) use crate::ops::*;
    pub(crate) use crate::pool::*;
    pub(crate) use crate::region::*;
    pub(crate) use crate::store::*;
    pub(crate) use crate::tags::*;
    pub(crate) use crate::{lock, now};
}

use prelude::*;

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A handler that panicked while holding the lock leaves consistent data behind: records
    // are only ever replaced whole. Keep serving.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// Serves until SIGTERM or SIGINT, then stops accepting, answers every request in flight
/// (waiting at most `--shutdown-timeout`) and returns: the whole program, minus argument
/// parsing, logging set-up and the runtime.
///
/// Prints `listening on http://ADDR` on stdout once it accepts connections.
pub async fn run(args: Args) -> Result<(), String> {
    let mut signals =
        Signals::register().map_err(|e| format!("cannot watch for SIGTERM and SIGINT: {e}"))?;
    let ctx = KeyContext::new("aws", &args.region, &args.account).map_err(|e| {
        format!(
            "--region/--account: {} (give a region such as us-east-1 and a 12-digit account)",
            e.message()
        )
    })?;
    let secrets = match &args.secrets {
        Some(path) => secrets::Secrets::load(path)?,
        None if args.store.is_durable() => {
            return Err(format!(
                "a durable store needs the service secrets: {}",
                secrets::how_to_make_one()
            ));
        }
        // In memory, secrets live as long as the keys they protect.
        None => secrets::Secrets::generate(&mut UnwrapErr(SysRng)),
    };
    let spec = args.store.clone();
    let backend = tokio::task::spawn_blocking(move || store::open_backend(&spec))
        .await
        .map_err(|_| "opening the store failed".to_owned())??;
    let limits = Limits {
        keys: args.max_keys,
        aliases: args.max_aliases,
        aliases_per_key: args.max_aliases_per_key,
        tokens: args.max_outstanding_tokens,
    };
    let pool = Arc::new(Pool::new(
        (
            usize::from(args.pool_rsa_2048),
            usize::from(args.pool_rsa_3072),
            usize::from(args.pool_rsa_4096),
        ),
        usize::from(args.keygen_queue),
        args.keygen_timeout,
        Pool::os_generator(),
    ));
    let workers = pool
        .start_workers(
            usize::from(args.pool_workers),
            args.pool_scheduling,
            args.pool_nice,
        )
        .map_err(|e| {
            format!("cannot start the key-generation threads: {e} (try fewer --pool-workers)")
        })?;
    let regions = Arc::new(Regions::new(
        &ctx,
        backend,
        Arc::clone(&pool),
        secrets,
        limits,
        usize::from(args.max_regions),
    ));
    let server = Arc::new(Server {
        regions: Arc::clone(&regions),
        quotas: quota::Quotas::new(args.rate_limits == "on", &args.rate_limit),
        header_timeout: args.header_timeout,
        body_timeout: args.body_timeout,
        idle_timeout: args.idle_timeout,
    });

    let sweeper_regions = Arc::clone(&regions);
    let sweeper = tokio::spawn(async move {
        let mut tick = tokio::time::interval(StdDuration::from_secs(1));
        loop {
            tick.tick().await;
            let regions = Arc::clone(&sweeper_regions);
            let _ = tokio::task::spawn_blocking(move || regions.sweep(now())).await;
        }
    });

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| {
            format!(
                "cannot listen on {}: {e} (is another server on that port? choose another with \
             --listen ADDR; port 0 picks a free one)",
                args.listen
            )
        })?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?;
    let cap = connection_cap(args.max_connections, open_file_limit(), open_files());
    if cap < usize::try_from(args.max_connections).unwrap_or(usize::MAX) {
        tracing::warn!(
            cap,
            "--max-connections lowered to stay under the open-file limit (raise it with ulimit -n)"
        );
    }
    let permits = Arc::new(tokio::sync::Semaphore::new(cap));
    let (closing, closing_rx) = tokio::sync::watch::channel(false);
    println!("listening on http://{addr}");
    {
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
    }
    tracing::info!(%addr, max_connections = cap, "listening");

    let shutdown = signals.recv();
    tokio::pin!(shutdown);
    let mut cap_warned: Option<std::time::Instant> = None;
    'serve: loop {
        let permit = match Arc::clone(&permits).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                // Once a second at most, however often the cap is hit.
                if cap_warned.is_none_or(|t| t.elapsed() >= StdDuration::from_secs(1)) {
                    cap_warned = Some(std::time::Instant::now());
                    tracing::warn!(
                        cap,
                        "connection cap reached: new connections wait in the backlog"
                    );
                }
                tokio::select! {
                    permit = Arc::clone(&permits).acquire_owned() => match permit {
                        Ok(permit) => permit,
                        Err(_) => break 'serve,
                    },
                    () = &mut shutdown => break 'serve,
                }
            }
        };
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(serve_connection(
                        Arc::clone(&server),
                        stream,
                        closing_rx.clone(),
                        permit,
                    ));
                }
                Err(e) => {
                    // Out of file descriptors (EMFILE/ENFILE) or a connection reset before it
                    // was accepted: back off instead of spinning.
                    drop(permit);
                    tracing::warn!(error = %e, "accept failed; retrying in 100 ms");
                    tokio::time::sleep(StdDuration::from_millis(100)).await;
                }
            },
            () = &mut shutdown => break 'serve,
        }
    }
    drop(listener);
    let open = cap - permits.available_permits();
    tracing::info!(
        open_connections = open,
        "shutting down: answering the requests in flight"
    );
    let _ = closing.send(true);
    let all = u32::try_from(cap).unwrap_or(u32::MAX);
    let drained = tokio::time::timeout(args.shutdown_timeout, permits.acquire_many(all)).await;
    if drained.is_err() {
        tracing::warn!("shutdown timeout: closing the connections still open");
    }
    sweeper.abort();
    pool.stop();
    // The workers may be inside a key generation; they end when it does.
    drop(workers);
    tracing::info!("stopped");
    Ok(())
}
