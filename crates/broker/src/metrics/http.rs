//! The HTTP listener Prometheus scrapes: `GET /metrics` answers the text exposition (format 0.0.4);
//! anything else is 404 (405 for another method on `/metrics`). HTTP/1.1 only, at most
//! [`MAX_CONNECTIONS`] connections at once, each given [`HEADER_READ_TIMEOUT`] to send its request
//! head, so a stuck or hostile scraper holds a bounded amount of the node.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tracing::{debug, info, warn};

use super::{NodeMetrics, Snapshot};

/// Scrapers connected at once; more wait in the accept queue.
pub const MAX_CONNECTIONS: usize = 16;
/// How long a connection may take to send a request's head.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The content type of Prometheus' text format.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Takes the [`Snapshot`] the gauges are set from, once per scrape.
pub type SnapshotSource = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Snapshot> + Send>> + Send + Sync>;

/// Serves `/metrics` on `listener` until `shutdown` completes.
pub async fn serve_metrics(
    listener: TcpListener,
    metrics: Arc<NodeMetrics>,
    snapshot: SnapshotSource,
    shutdown: impl Future<Output = ()>,
) {
    match listener.local_addr() {
        Ok(address) => info!(%address, "serving Prometheus metrics at /metrics"),
        Err(e) => warn!(error = %e, "serving Prometheus metrics on an unknown address"),
    }
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => return,
            permit = Arc::clone(&slots).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => return,
            },
        };
        let stream = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: back off rather than spin.
                    warn!(error = %e, "accepting a metrics connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let metrics = Arc::clone(&metrics);
        let snapshot = Arc::clone(&snapshot);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let metrics = Arc::clone(&metrics);
                let snapshot = Arc::clone(&snapshot);
                async move {
                    let route = route(&request);
                    let response = match route {
                        Route::Metrics => Some(metrics.render(&snapshot().await)),
                        _ => None,
                    };
                    Ok::<_, Infallible>(answer(route, response))
                }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = connection.await {
                debug!(error = %e, "metrics connection ended with an error");
            }
            drop(permit);
        });
    }
}

/// Where a request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Metrics,
    WrongMethod,
    NotFound,
}

fn route(request: &Request<Incoming>) -> Route {
    match (request.method(), request.uri().path()) {
        (&Method::GET | &Method::HEAD, "/metrics") => Route::Metrics,
        (_, "/metrics") => Route::WrongMethod,
        _ => Route::NotFound,
    }
}

/// The response: the exposition `text` for [`Route::Metrics`], an error status otherwise.
fn answer(route: Route, text: Option<String>) -> Response<Full<Bytes>> {
    let status = match (route, text) {
        (Route::Metrics, Some(text)) => {
            let mut response = Response::new(Full::new(Bytes::from(text)));
            response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(TEXT_FORMAT));
            return response;
        }
        (Route::Metrics, None) => StatusCode::INTERNAL_SERVER_ERROR,
        (Route::WrongMethod, _) => StatusCode::METHOD_NOT_ALLOWED,
        (Route::NotFound, _) => StatusCode::NOT_FOUND,
    };
    let mut response = Response::new(Full::new(Bytes::from(format!("{status}: try GET /metrics\n"))));
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::metrics::Gauges;

    async fn get(address: std::net::SocketAddr, request: &str) -> String {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        response
    }

    #[tokio::test]
    async fn serves_metrics_and_refuses_other_paths() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let metrics = Arc::new(NodeMetrics::new());
        metrics.messages_in.inc_by(3);
        let snapshot: SnapshotSource = Arc::new(|| {
            Box::pin(async {
                Snapshot { gauges: Gauges { leader_partitions: 4, ..Gauges::default() }, ..Snapshot::default() }
            })
        });
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve_metrics(listener, metrics, snapshot, async move {
            let _ = stop_rx.await;
        }));

        let ok = get(address, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
        assert!(ok.starts_with("HTTP/1.1 200 OK"), "{ok}");
        assert!(ok.contains("content-type: text/plain; version=0.0.4"), "{ok}");
        assert!(ok.contains("\nflotilla_messages_in_total 3\n"), "{ok}");
        assert!(ok.contains("\nflotilla_leader_partitions 4\n"), "{ok}");

        let missing = get(address, "GET /other HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
        assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
        let post =
            get(address, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").await;
        assert!(post.starts_with("HTTP/1.1 405"), "{post}");
        let garbage = get(address, "\x16\x03\x01 not http at all\r\n\r\n").await;
        assert!(garbage.is_empty() || garbage.starts_with("HTTP/1.1 400"), "{garbage}");

        stop_tx.send(()).unwrap();
        server.await.unwrap();
        assert!(tokio::net::TcpStream::connect(address).await.is_err(), "the listener is closed after shutdown");
    }
}
