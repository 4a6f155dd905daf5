//! HTTP: one AWS JSON 1.1 request per POST, answered from a blocking worker.

use crate::prelude::*;

pub(crate) fn reply(status: u16, body: Vec<u8>, request_id: u64) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(Bytes::from(body)));
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

pub(crate) async fn serve(
    kms: Arc<Kms>,
    req: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
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
    let op = target
        .as_deref()
        .and_then(|t| Operation::from_target(t).ok())
        .map_or("-", Operation::name);
    let body = Limited::new(req.into_body(), MAX_BODY_BYTES)
        .collect()
        .await;

    let (status, body, code) = match (is_post, target, body) {
        (false, ..) => refuse(Error::UnsupportedOperation(
            "Only POST requests are served.".to_owned(),
        )),
        (true, None, _) => refuse(Error::UnsupportedOperation(
            "The X-Amz-Target header is missing.".to_owned(),
        )),
        (true, Some(_), Err(_)) => refuse(Error::Validation(format!(
            "The request body could not be read or exceeds {MAX_BODY_BYTES} bytes."
        ))),
        (true, Some(target), Ok(collected)) => {
            let bytes = collected.to_bytes();
            let worker = Arc::clone(&kms);
            let answer = move || worker.handle(&target, &bytes, region.as_deref());
            match tokio::task::spawn_blocking(answer).await {
                Ok(answer) => answer,
                // A panic in a handler answers 500; the server keeps running.
                Err(_) => refuse(Error::Internal),
            }
        }
    };
    println!("request {request_id} {op} {status} {}", code.unwrap_or("-"));
    Ok(reply(status, body, request_id))
}

pub(crate) fn refuse(error: Error) -> (u16, Vec<u8>, Option<&'static str>) {
    let (status, body) = encode_error(None, &error);
    (status, body, Some(error.code()))
}

pub(crate) async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}
