//! HTTP: connections with header, body and idle timeouts, one AWS JSON 1.1 request per POST
//! answered from a blocking worker, request-rate quotas, and one log event per request.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{Notify, OwnedSemaphorePermit, watch};

use crate::prelude::*;
use crate::quota::Quotas;

/// What every connection shares: the operations of every Region, the quotas and the timeouts.
pub(crate) struct Server {
    pub(crate) regions: Arc<Regions>,
    pub(crate) quotas: Quotas,
    pub(crate) header_timeout: StdDuration,
    pub(crate) body_timeout: StdDuration,
    pub(crate) idle_timeout: StdDuration,
}

/// A response body that wipes its bytes when hyper drops it: answers carry secrets (Decrypt's
/// `Plaintext`, generated data keys), so every answer is sent from one of these.
pub(crate) struct WipedBuf {
    bytes: Zeroizing<Vec<u8>>,
    at: usize,
}

impl WipedBuf {
    pub(crate) fn new(bytes: Vec<u8>) -> WipedBuf {
        WipedBuf {
            bytes: Zeroizing::new(bytes),
            at: 0,
        }
    }
}

impl hyper::body::Buf for WipedBuf {
    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.at)
    }

    fn chunk(&self) -> &[u8] {
        self.bytes.get(self.at..).unwrap_or_default()
    }

    fn advance(&mut self, cnt: usize) {
        self.at = self.at.saturating_add(cnt).min(self.bytes.len());
    }
}

pub(crate) fn reply(
    status: u16,
    body: Vec<u8>,
    request_id: u64,
) -> hyper::Response<Full<WipedBuf>> {
    let mut response = hyper::Response::new(Full::new(WipedBuf::new(body)));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let headers = response.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(wire::CONTENT_TYPE),
    );
    if let Ok(v) =
        hyper::header::HeaderValue::from_str(&format!("00000000-0000-4000-8000-{request_id:012x}"))
    {
        headers.insert("x-amzn-requestid", v);
    }
    response
}

pub(crate) static REQUESTS: AtomicU64 = AtomicU64::new(0);

/// An AWS JSON 1.1 error body for an exception the core's `Error` does not carry.
fn error_body(code: &str, message: &str) -> Vec<u8> {
    serde_json::json!({ "__type": code, "message": message })
        .to_string()
        .into_bytes()
}

/// The operation name of an `X-Amz-Target` header, if it looks like one (for quotas and logs;
/// the handler still decides whether it is served).
fn operation_name(target: Option<&str>) -> Option<&str> {
    let name = target?.strip_prefix("TrentService.")?;
    (!name.is_empty() && name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphabetic()))
        .then_some(name)
}

/// The key a request names (`KeyId`, or `TargetKeyId` for CreateAlias), for the log only;
/// anything but the characters of key ids, ARNs and alias names is dropped.
fn key_id_for_log(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Probe {
        #[serde(rename = "KeyId")]
        key_id: Option<String>,
        #[serde(rename = "TargetKeyId")]
        target_key_id: Option<String>,
    }
    let probe: Probe = serde_json::from_slice(body).ok()?;
    let id = probe.key_id.or(probe.target_key_id)?;
    Some(
        id.chars()
            .filter(|c| c.is_ascii_alphanumeric() || ":/_-.".contains(*c))
            .take(256)
            .collect(),
    )
}

/// One request: read the body (bounded in size and time), check the quota, run the operation
/// on a blocking worker, log one event.
pub(crate) async fn serve(
    server: Arc<Server>,
    req: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<WipedBuf>>, Infallible> {
    let started = Instant::now();
    let request_id = REQUESTS.fetch_add(1, Ordering::Relaxed);
    let is_post = req.method() == Method::POST;
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // Keys are regional: the Region of the request's credential scope selects them.
    let region = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(signed_region)
        .map(str::to_owned);
    let op = operation_name(target.as_deref()).unwrap_or("-").to_owned();
    let body = tokio::time::timeout(
        server.body_timeout,
        Limited::new(req.into_body(), MAX_BODY_BYTES).collect(),
    )
    .await;

    let mut key_id = None;
    let (status, body, code) = match (is_post, target, body) {
        (_, _, Err(_elapsed)) => {
            let mut response = reply(
                408,
                error_body(
                    "RequestTimeoutException",
                    "The request body did not arrive in time.",
                ),
                request_id,
            );
            response.headers_mut().insert(
                hyper::header::CONNECTION,
                hyper::header::HeaderValue::from_static("close"),
            );
            log_request(
                request_id,
                &op,
                None,
                408,
                "RequestTimeoutException",
                started,
            );
            return Ok(response);
        }
        (false, ..) => refuse(KmsError::UnsupportedOperation(
            "Only POST requests are served.".to_owned(),
        )),
        (true, None, _) => refuse(KmsError::UnsupportedOperation(
            "The X-Amz-Target header is missing.".to_owned(),
        )),
        (true, Some(_), Ok(Err(_))) => refuse(KmsError::Validation(format!(
            "The request body could not be read or exceeds {MAX_BODY_BYTES} bytes."
        ))),
        (true, Some(_), Ok(Ok(_))) if !server.quotas.admit(&op) => (
            400,
            error_body(
                "ThrottlingException",
                &format!("Rate exceeded for {op}. Reduce the frequency of your calls."),
            ),
            Some("ThrottlingException"),
        ),
        (true, Some(target), Ok(Ok(collected))) => {
            // The body may hold secrets (Encrypt's `Plaintext`, messages to sign): own it
            // (no copy when the collected bytes are not shared) and wipe it once handled.
            let bytes = Zeroizing::new(Vec::from(collected.to_bytes()));
            key_id = key_id_for_log(&bytes);
            let regions = Arc::clone(&server.regions);
            let answer = move || regions.handle(&target, &bytes, region.as_deref());
            match tokio::task::spawn_blocking(answer).await {
                Ok(answer) => answer,
                // A panic in a handler answers 500; the server keeps running.
                Err(_) => refuse(KmsError::Internal),
            }
        }
    };
    log_request(
        request_id,
        &op,
        key_id.as_deref(),
        status,
        code.unwrap_or("ok"),
        started,
    );
    Ok(reply(status, body, request_id))
}

fn log_request(
    request_id: u64,
    operation: &str,
    key_id: Option<&str>,
    status: u16,
    outcome: &str,
    started: Instant,
) {
    tracing::info!(
        request_id,
        %operation,
        key_id = %key_id.unwrap_or("-"),
        status,
        %outcome,
        latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "request"
    );
}

pub(crate) fn refuse(error: impl Into<Error>) -> (u16, Vec<u8>, Option<&'static str>) {
    let error = error.into();
    let (status, body) = encode_error(None, &error);
    (status, body, Some(error.code()))
}

/// Where a connection stands, for its timeouts.
#[derive(Clone, Copy)]
enum Phase {
    /// No request in progress since this instant: the idle timeout runs.
    Idle(Instant),
    /// The first bytes of a request's head arrived at this instant: the header timeout runs.
    Head(Instant),
    /// A request is being read or handled (the body timeout and the handler bound it).
    Request,
}

struct Activity {
    phase: Mutex<Phase>,
    changed: Notify,
}

impl Activity {
    fn set(&self, phase: Phase) {
        *lock(&self.phase) = phase;
        self.changed.notify_one();
    }

    fn bytes_arrived(&self) {
        let mut phase = lock(&self.phase);
        if let Phase::Idle(_) = *phase {
            *phase = Phase::Head(Instant::now());
            drop(phase);
            self.changed.notify_one();
        }
    }

    /// When the connection is to be closed unless something happens before.
    fn deadline(&self, server: &Server) -> Option<Instant> {
        match *lock(&self.phase) {
            Phase::Idle(since) => Some(since + server.idle_timeout),
            Phase::Head(since) => Some(since + server.header_timeout),
            Phase::Request => None,
        }
    }
}

/// The TCP stream, telling the connection's [`Activity`] when request bytes arrive.
struct Tracked {
    stream: tokio::net::TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled
            && buf.filled().len() > before
        {
            this.activity.bytes_arrived();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// Serves one connection until the client closes it, a timeout closes it, or shutdown has
/// answered its request in flight. Holds `_permit` (a place under the connection cap) until
/// then.
pub(crate) async fn serve_connection(
    server: Arc<Server>,
    stream: tokio::net::TcpStream,
    mut shutdown: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let activity = Arc::new(Activity {
        phase: Mutex::new(Phase::Idle(Instant::now())),
        changed: Notify::new(),
    });
    let io = TokioIo::new(Tracked {
        stream,
        activity: Arc::clone(&activity),
    });
    let service = {
        let server = Arc::clone(&server);
        let activity = Arc::clone(&activity);
        service_fn(move |req| {
            let server = Arc::clone(&server);
            let activity = Arc::clone(&activity);
            async move {
                activity.set(Phase::Request);
                let response = serve(server, req).await;
                activity.set(Phase::Idle(Instant::now()));
                response
            }
        })
    };
    let connection = http1::Builder::new()
        // A client that shuts down its sending side after its request still gets the answer.
        .half_close(true)
        .serve_connection(io, service);
    tokio::pin!(connection);
    let mut closing = *shutdown.borrow();
    if closing {
        connection.as_mut().graceful_shutdown();
    }
    loop {
        let deadline = activity.deadline(&server);
        let timer = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            () = timer => {
                if activity.deadline(&server).is_some_and(|at| at <= Instant::now()) {
                    tracing::debug!("connection closed: header or idle timeout");
                    return;
                }
            }
            () = activity.changed.notified() => {}
            changed = shutdown.changed(), if !closing => {
                if changed.is_err() || *shutdown.borrow() {
                    closing = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// SIGTERM and SIGINT, registered at once (so that a signal during start-up is not lost);
/// [`Signals::recv`] resolves on the first of them.
pub(crate) struct Signals {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

impl Signals {
    pub(crate) fn register() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    pub(crate) async fn recv(&mut self) {
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
        }
    }
}

/// The soft limit on open files, from /proc (Linux); `None` elsewhere.
pub(crate) fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// How many descriptors the process has open (Linux); `None` elsewhere.
pub(crate) fn open_files() -> Option<u64> {
    let n = std::fs::read_dir("/proc/self/fd").ok()?.count();
    u64::try_from(n).ok()
}

/// The connection cap: the flag, kept below the open-file limit less what is open already and
/// a margin (a sixteenth of the limit, at least 32) for the store, the logs and the runtime.
pub(crate) fn connection_cap(requested: u32, limit: Option<u64>, open: Option<u64>) -> usize {
    let requested = usize::try_from(requested).unwrap_or(usize::MAX);
    let Some(limit) = limit.and_then(|n| usize::try_from(n).ok()) else {
        return requested;
    };
    let open = open.and_then(|n| usize::try_from(n).ok()).unwrap_or(0);
    let reserve = open.saturating_add((limit / 16).max(32));
    requested.min(limit.saturating_sub(reserve).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_come_from_the_target_header_only_when_well_formed() {
        assert_eq!(
            operation_name(Some("TrentService.DescribeKey")),
            Some("DescribeKey")
        );
        assert_eq!(operation_name(Some("TrentService.")), None);
        assert_eq!(operation_name(Some("TrentService.Describe\nKey")), None);
        assert_eq!(operation_name(Some("Other.DescribeKey")), None);
        assert_eq!(operation_name(None), None);
    }

    #[test]
    fn the_logged_key_id_keeps_only_identifier_characters() {
        assert_eq!(
            key_id_for_log(br#"{"KeyId":"alias/x\n injected=1"}"#).as_deref(),
            Some("alias/xinjected1")
        );
        assert_eq!(
            key_id_for_log(br#"{"TargetKeyId":"1234abcd-12ab-34cd-56ef-1234567890ab"}"#).as_deref(),
            Some("1234abcd-12ab-34cd-56ef-1234567890ab")
        );
        assert_eq!(key_id_for_log(b"not json"), None);
        assert_eq!(key_id_for_log(br#"{"Plaintext":"c2VjcmV0"}"#), None);
    }

    #[test]
    fn the_connection_cap_stays_below_the_open_file_limit() {
        assert_eq!(connection_cap(1024, Some(1024), Some(20)), 940);
        assert_eq!(connection_cap(100, Some(1_048_576), Some(20)), 100);
        assert_eq!(connection_cap(1024, Some(64), Some(15)), 17);
        assert_eq!(connection_cap(1024, Some(16), Some(10)), 1);
        assert_eq!(connection_cap(50, None, Some(10)), 50);
    }
}
