//! The front end over real sockets on port 0: ApiVersions negotiation, pipelining, hostile frames,
//! `max.connections` and graceful shutdown.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use flotilla_broker::handlers::{api_versions, SUPPORTED_APIS};
use flotilla_broker::{serve, ConnectionBudget, ConnectionLimits, RequestContext, RequestHandler};
use flotilla_protocol::frame::{decode_response, encode_request};
use flotilla_protocol::messages::{ApiVersionsRequest, ApiVersionsResponse, RequestHeader};
use flotilla_protocol::{ApiKey, RequestBody, ResponseBody};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, Notify};

/// Answers ApiVersions; when `gate` is set, waits for it first (to hold a request in flight).
struct TestHandler {
    gate: Option<Arc<Notify>>,
    entered: Arc<Notify>,
}

impl RequestHandler for TestHandler {
    async fn handle(&self, _ctx: &RequestContext, request: RequestBody) -> Option<ResponseBody> {
        self.entered.notify_one();
        if let Some(gate) = &self.gate {
            gate.notified().await;
        }
        match request {
            RequestBody::ApiVersions(r) => Some(ResponseBody::ApiVersions(api_versions::handle(&r))),
            _ => None,
        }
    }
}

struct Running {
    addr: std::net::SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    entered: Arc<Notify>,
}

async fn start(max_connections: usize, gate: Option<Arc<Notify>>) -> Running {
    start_with(ConnectionBudget::new(max_connections), gate).await
}

async fn start_with(budget: ConnectionBudget, gate: Option<Arc<Notify>>) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = oneshot::channel::<()>();
    let entered = Arc::new(Notify::new());
    let handler = Arc::new(TestHandler { gate, entered: entered.clone() });
    let limits = ConnectionLimits { max_request_bytes: 1024 * 1024, ..Default::default() };
    let task = tokio::spawn(serve(listener, handler, limits, budget, async {
        let _ = stopped.await;
    }));
    Running { addr, stop: Some(stop), task, entered }
}

fn api_versions_frame(version: i16, correlation_id: i32) -> Bytes {
    let header = RequestHeader {
        request_api_key: ApiKey::ApiVersions.key(),
        request_api_version: version,
        correlation_id,
        client_id: Some("test".into()),
        ..Default::default()
    };
    let body = RequestBody::ApiVersions(ApiVersionsRequest {
        client_software_name: "flotilla-test".into(),
        client_software_version: "1".into(),
        ..Default::default()
    });
    encode_request(&header, &body).expect("encodes").to_bytes()
}

/// Reads one response frame, or `None` if the server closed the connection.
async fn read_frame(stream: &mut TcpStream) -> Option<Bytes> {
    let mut prefix = [0u8; 4];
    stream.read_exact(&mut prefix).await.ok()?;
    let mut body = vec![0u8; i32::from_be_bytes(prefix) as usize];
    stream.read_exact(&mut body).await.ok()?;
    Some(body.into())
}

async fn read_api_versions(stream: &mut TcpStream, version: i16) -> (i32, ApiVersionsResponse) {
    let frame = read_frame(stream).await.expect("a response");
    match decode_response(frame, ApiKey::ApiVersions, version).expect("decodes") {
        (header, ResponseBody::ApiVersions(r)) => (header.correlation_id, r),
        (_, other) => panic!("unexpected {other:?}"),
    }
}

async fn assert_closed_soon(stream: &mut TcpStream) {
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut byte)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "server should close the connection: {read:?}");
}

#[tokio::test]
async fn api_versions_lists_the_registry_at_every_version() {
    let server = start(16, None).await;
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    for version in 0..=4 {
        stream.write_all(&api_versions_frame(version, 100 + i32::from(version))).await.expect("write");
        let (correlation_id, response) = read_api_versions(&mut stream, version).await;
        assert_eq!(correlation_id, 100 + i32::from(version));
        assert_eq!(response.error_code, 0);
        assert_eq!(response.api_keys.len(), SUPPORTED_APIS.len());
    }
}

#[tokio::test]
async fn newer_api_versions_gets_a_v0_answer_with_unsupported_version() {
    let server = start(16, None).await;
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    // A client from the future sends ApiVersions v9 with a v2 header (ApiVersions is flexible from v3).
    let mut frame = api_versions_frame(4, 7).to_vec();
    frame[6..8].copy_from_slice(&9i16.to_be_bytes());
    stream.write_all(&frame).await.expect("write");
    let (correlation_id, response) = read_api_versions(&mut stream, 0).await;
    assert_eq!(correlation_id, 7);
    assert_eq!(response.error_code, 35, "UNSUPPORTED_VERSION");
    assert!(response.api_keys.iter().any(|k| k.api_key == ApiKey::ApiVersions.key() && k.max_version == 4));
    // The connection stays usable: the client retries with a version we listed.
    stream.write_all(&api_versions_frame(3, 8)).await.expect("write");
    assert_eq!(read_api_versions(&mut stream, 3).await.0, 8);
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order() {
    let server = start(16, None).await;
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    let mut burst = Vec::new();
    for id in 1..=20 {
        burst.extend_from_slice(&api_versions_frame(3, id));
    }
    stream.write_all(&burst).await.expect("write");
    for id in 1..=20 {
        assert_eq!(read_api_versions(&mut stream, 3).await.0, id);
    }
}

#[tokio::test]
async fn hostile_frames_close_only_their_connection() {
    let server = start(16, None).await;
    let mut healthy = TcpStream::connect(server.addr).await.expect("connect");

    let hostile: Vec<Vec<u8>> = vec![
        0x7fff_ffffi32.to_be_bytes().to_vec(), // a 2 GiB size prefix
        (-5i32).to_be_bytes().to_vec(),        // a negative size
        [&10i32.to_be_bytes()[..], &999i16.to_be_bytes(), &0i16.to_be_bytes(), &1i32.to_be_bytes(), &[0, 0]].concat(), // unknown API key
        [&12i32.to_be_bytes()[..], &0i16.to_be_bytes(), &9i16.to_be_bytes(), &1i32.to_be_bytes(), &[0xff, 0xff, 0, 0]]
            .concat(), // Produce v9 body cut short
        {
            // Produce v3 whose topic array claims 2^31-1 entries with nothing after.
            let body = [
                &0i16.to_be_bytes()[..],
                &3i16.to_be_bytes(),
                &1i32.to_be_bytes(),
                &(-1i16).to_be_bytes(),
                &(-1i16).to_be_bytes(),
                &1i16.to_be_bytes(),
                &1000i32.to_be_bytes(),
                &i32::MAX.to_be_bytes(),
            ]
            .concat();
            [&(body.len() as i32).to_be_bytes()[..], &body].concat()
        },
    ];
    for frame in hostile {
        let mut attacker = TcpStream::connect(server.addr).await.expect("connect");
        attacker.write_all(&frame).await.expect("write");
        assert_closed_soon(&mut attacker).await;
        healthy.write_all(&api_versions_frame(3, 1)).await.expect("write");
        assert_eq!(read_api_versions(&mut healthy, 3).await.1.error_code, 0);
    }

    // A body that stops arriving: the server waits, the client gives up; nobody else is affected.
    let mut truncated = TcpStream::connect(server.addr).await.expect("connect");
    truncated.write_all(&[0, 0, 0, 100, 0, 18]).await.expect("write");
    drop(truncated);
    healthy.write_all(&api_versions_frame(3, 2)).await.expect("write");
    assert_eq!(read_api_versions(&mut healthy, 3).await.0, 2);
}

/// With one connection slot: a connection to `first` takes it (then `while_held` runs), a connection to
/// `second` is left unanswered until the first closes, then answered.
async fn second_waits_for_the_first(
    first: std::net::SocketAddr,
    second: std::net::SocketAddr,
    while_held: impl FnOnce(),
    why: &str,
) {
    let mut holder = TcpStream::connect(first).await.expect("connect");
    holder.write_all(&api_versions_frame(3, 1)).await.expect("write");
    assert_eq!(read_api_versions(&mut holder, 3).await.0, 1);
    while_held();

    // The kernel completes the second handshake, but the broker does not take the connection.
    let mut waiter = TcpStream::connect(second).await.expect("connect");
    waiter.write_all(&api_versions_frame(3, 2)).await.expect("write");
    let early = tokio::time::timeout(Duration::from_millis(300), read_frame(&mut waiter)).await;
    assert!(early.is_err(), "{why}");

    drop(holder);
    assert_eq!(read_api_versions(&mut waiter, 3).await.0, 2);
}

#[tokio::test]
async fn max_connections_pauses_accepting_until_one_closes() {
    let server = start(1, None).await;
    second_waits_for_the_first(server.addr, server.addr, || {}, "the second connection must wait for a free slot")
        .await;
}

#[tokio::test]
async fn max_connections_counts_every_listener_together() {
    let budget = ConnectionBudget::new(1);
    let plaintext = start_with(budget.clone(), None).await;
    let internal = start_with(budget.clone(), None).await;
    second_waits_for_the_first(
        plaintext.addr,
        internal.addr,
        || assert_eq!(budget.available(), 0),
        "the second listener must wait for a slot of the shared budget",
    )
    .await;
}

#[tokio::test]
async fn shutdown_answers_the_request_in_flight_then_returns() {
    let gate = Arc::new(Notify::new());
    let mut server = start(16, Some(gate.clone())).await;
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    stream.write_all(&api_versions_frame(3, 42)).await.expect("write");
    server.entered.notified().await;

    server.stop.take().expect("running").send(()).expect("server alive");
    gate.notify_one();
    assert_eq!(read_api_versions(&mut stream, 3).await.0, 42);
    tokio::time::timeout(Duration::from_secs(10), &mut server.task).await.expect("serve returns").expect("no panic");
    // The listener is gone.
    assert!(TcpStream::connect(server.addr).await.is_err());
}
