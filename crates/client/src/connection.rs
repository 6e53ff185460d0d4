//! One TCP connection to one broker, with requests pipelined.
//!
//! A connection is two tasks around a socket. Callers encode their request, take a correlation id and an
//! in-flight permit, and hand the frame to the *writer* task, which coalesces whatever frames are queued into
//! one write. Before writing a frame that expects an answer, the writer appends its pending entry to a FIFO
//! shared with the *reader* task. Kafka answers the requests of one connection in the order it received
//! them, so the reader pairs each response frame with the oldest pending entry and checks that the
//! correlation ids agree; a mismatch is a protocol violation and closes the connection.
//!
//! Limits: at most `max_in_flight` requests are outstanding (more callers wait for a permit); response
//! frames are refused from their size prefix when larger than `max_response_bytes`; every request has a
//! deadline, and a request that misses it closes the connection (its answer could otherwise be taken for
//! the next request's), as Kafka's clients do. When the connection fails, every outstanding request fails
//! with the reason.
//!
//! Opening a connection performs the ApiVersions handshake ([`crate::negotiation`]); [`BrokerConnection::send`]
//! then uses, per API, the highest version both sides support.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use flotilla_protocol::frame::{frame_size, request_header_version, response_header_version};
use flotilla_protocol::messages::{ApiVersionsRequest, RequestHeader, ResponseHeader};
use flotilla_protocol::{ApiKey, ByteString, EncodedFrame, Message, Reader, Request, Writer};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};
use tokio::task::AbortHandle;
use tokio::time::{timeout, timeout_at, Instant};

use crate::config::ClientConfig;
use crate::error::ClientError;
use crate::negotiation::{self, ApiVersions, Handshake};

/// Frames queued behind each other are coalesced into writes of up to this many bytes.
const COALESCE_BYTES: usize = 256 * 1024;
/// Chunks at least this large are written directly rather than copied into the write buffer.
const DIRECT_WRITE_BYTES: usize = 64 * 1024;
/// The reader's buffer.
const READ_BUFFER_BYTES: usize = 64 * 1024;

/// Per-connection settings.
#[derive(Debug, Clone)]
pub struct ConnectionConfig {
    /// `client.id` for request headers.
    pub client_id: String,
    /// TCP connect and handshake deadline.
    pub connect_timeout: Duration,
    /// Deadline of each request.
    pub request_timeout: Duration,
    /// Requests outstanding at once.
    pub max_in_flight: usize,
    /// Largest response frame accepted.
    pub max_response_bytes: usize,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        ConnectionConfig::from(&ClientConfig::default())
    }
}

impl From<&ClientConfig> for ConnectionConfig {
    fn from(c: &ClientConfig) -> Self {
        Self {
            client_id: c.client_id.clone(),
            connect_timeout: c.connect_timeout,
            request_timeout: c.request_timeout,
            max_in_flight: c.max_in_flight_per_connection.max(1),
            max_response_bytes: c.max_response_bytes,
        }
    }
}

/// A connection to one broker. Clones share the connection; it closes when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct BrokerConnection {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    node_id: i32,
    host: String,
    addr: SocketAddr,
    client_id: ByteString,
    request_timeout: Duration,
    max_in_flight: usize,
    outgoing: mpsc::Sender<Outgoing>,
    pipeline: Arc<Pipeline>,
    in_flight: Arc<Semaphore>,
    next_correlation_id: AtomicI32,
    versions: OnceLock<ApiVersions>,
    tasks: [AbortHandle; 2],
}

impl Drop for Inner {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// A frame for the writer, with the entry the reader will match its response to.
#[derive(Debug)]
struct Outgoing {
    frame: EncodedFrame,
    pending: Option<Pending>,
}

/// A request waiting for its response.
#[derive(Debug)]
struct Pending {
    correlation_id: i32,
    reply: oneshot::Sender<Result<Bytes, ClientError>>,
    /// Released when the response arrives or the connection fails.
    _permit: OwnedSemaphorePermit,
}

/// The requests written and not yet answered, in write order, and why the connection closed.
#[derive(Debug)]
struct Pipeline {
    node_id: i32,
    addr: String,
    state: Mutex<PipelineState>,
}

#[derive(Debug, Default)]
struct PipelineState {
    pending: VecDeque<Pending>,
    closed: Option<String>,
}

impl Pipeline {
    fn lock(&self) -> std::sync::MutexGuard<'_, PipelineState> {
        // A panic while holding this lock cannot leave the queue inconsistent (push/pop are single
        // operations), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn closed_error(&self, reason: &str) -> ClientError {
        ClientError::ConnectionClosed { node: self.node_id, addr: self.addr.clone(), reason: reason.to_owned() }
    }

    /// Queues `pending` unless the connection is closed, in which case it is failed.
    fn push(&self, pending: Pending) -> bool {
        let mut state = self.lock();
        if let Some(reason) = &state.closed {
            let error = self.closed_error(reason);
            drop(state);
            let _ = pending.reply.send(Err(error));
            return false;
        }
        state.pending.push_back(pending);
        true
    }

    fn pop(&self) -> Option<Pending> {
        self.lock().pending.pop_front()
    }

    fn is_closed(&self) -> bool {
        self.lock().closed.is_some()
    }

    fn reason(&self) -> String {
        self.lock().closed.clone().unwrap_or_else(|| "connection closed".to_owned())
    }

    /// Marks the connection closed (the first reason wins) and fails every outstanding request.
    fn close(&self, reason: String) {
        let (drained, reason) = {
            let mut state = self.lock();
            let reason = state.closed.get_or_insert(reason).clone();
            (std::mem::take(&mut state.pending), reason)
        };
        if !drained.is_empty() {
            tracing::debug!(node = self.node_id, addr = %self.addr, %reason, failed = drained.len(), "connection closed");
        }
        for pending in drained {
            let _ = pending.reply.send(Err(self.closed_error(&reason)));
        }
    }
}

/// Splits `host:port`, accepting `[v6]:port` too.
pub fn split_host_port(address: &str) -> Result<(String, u16), ClientError> {
    let invalid = || ClientError::InvalidAddress { address: address.to_owned() };
    let address = address.trim();
    let address = address.strip_prefix("PLAINTEXT://").unwrap_or(address);
    let (host, port) = address.rsplit_once(':').ok_or_else(invalid)?;
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    let port = port.parse::<u16>().map_err(|_| invalid())?;
    if host.is_empty() {
        return Err(invalid());
    }
    Ok((host.to_owned(), port))
}

impl BrokerConnection {
    /// Connects to `address` (`host:port`), trying each address it resolves to, and performs the
    /// ApiVersions handshake. `node_id` is the broker id, or -1 for a bootstrap server.
    pub async fn connect(node_id: i32, address: &str, config: &ConnectionConfig) -> Result<Self, ClientError> {
        let (host, port) = split_host_port(address)?;
        Self::connect_host(node_id, &host, port, config).await
    }

    /// Like [`BrokerConnection::connect`] with the host and port apart.
    pub async fn connect_host(
        node_id: i32,
        host: &str,
        port: u16,
        config: &ConnectionConfig,
    ) -> Result<Self, ClientError> {
        let deadline = Instant::now() + config.connect_timeout;
        let resolve_error = || ClientError::Resolve { address: format!("{host}:{port}"), host: host.to_owned() };
        let addrs: Vec<SocketAddr> = match timeout_at(deadline, tokio::net::lookup_host((host, port))).await {
            Ok(Ok(addrs)) => addrs.collect(),
            _ => return Err(resolve_error()),
        };
        let mut last_error = None;
        for addr in addrs {
            let attempt = match timeout_at(deadline, TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => Ok(stream),
                Ok(Err(e)) => Err(e),
                Err(_) => Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out")),
            };
            match attempt {
                Ok(stream) => {
                    let conn = Self::start(node_id, host, addr, stream, config);
                    let remaining = deadline.saturating_duration_since(Instant::now());
                    return match timeout(remaining, conn.handshake()).await {
                        Ok(Ok(())) => Ok(conn),
                        Ok(Err(e)) => Err(e),
                        Err(_) => {
                            conn.close();
                            Err(ClientError::RequestTimeout {
                                api: ApiKey::ApiVersions.name(),
                                node: node_id,
                                after: config.connect_timeout,
                            })
                        }
                    };
                }
                Err(e) => {
                    tracing::debug!(node = node_id, %addr, error = %e, "connect failed");
                    last_error = Some(ClientError::Unreachable {
                        node: node_id,
                        host: host.to_owned(),
                        addr: addr.to_string(),
                        source: Arc::new(e),
                    });
                }
            }
        }
        Err(last_error.unwrap_or_else(resolve_error))
    }

    /// Starts the reader and writer tasks on a connected socket; no handshake.
    fn start(node_id: i32, host: &str, addr: SocketAddr, stream: TcpStream, config: &ConnectionConfig) -> Self {
        // Small requests (metadata, acks=1 produce) must not wait for Nagle.
        let _ = stream.set_nodelay(true);
        let (read_half, write_half) = stream.into_split();
        let pipeline =
            Arc::new(Pipeline { node_id, addr: format!("{host}/{addr}"), state: Mutex::new(PipelineState::default()) });
        let max_in_flight = config.max_in_flight.max(1);
        let (outgoing, rx) = mpsc::channel(max_in_flight);
        let reader = tokio::spawn(read_loop(read_half, Arc::clone(&pipeline), config.max_response_bytes));
        let writer = tokio::spawn(write_loop(write_half, rx, Arc::clone(&pipeline)));
        Self {
            inner: Arc::new(Inner {
                node_id,
                host: host.to_owned(),
                addr,
                client_id: ByteString::from(config.client_id.as_str()),
                request_timeout: config.request_timeout,
                max_in_flight,
                outgoing,
                pipeline,
                in_flight: Arc::new(Semaphore::new(max_in_flight)),
                next_correlation_id: AtomicI32::new(0),
                versions: OnceLock::new(),
                tasks: [reader.abort_handle(), writer.abort_handle()],
            }),
        }
    }

    /// ApiVersions at v4, falling back as the broker asks.
    async fn handshake(&self) -> Result<(), ClientError> {
        let mut version = negotiation::HANDSHAKE_VERSION;
        let request = negotiation::handshake_request();
        // Each retry goes strictly down, so this ends; the bound is a second guard.
        for _ in 0..=negotiation::HANDSHAKE_VERSION {
            let frame = self
                .round_trip(ApiKey::ApiVersions, |id| encode_frame(&request, version, id, &self.inner.client_id))
                .await?;
            let mut r = Reader::new(frame);
            ResponseHeader::decode(&mut r, response_header_version(ApiKey::ApiVersions, version))?;
            let body_version = negotiation::response_body_version(r.peek(), version);
            let response =
                <ApiVersionsRequest as Request>::Response::decode(&mut r, body_version).map_err(ClientError::from)?;
            match negotiation::interpret(&response, version) {
                Handshake::Done(versions) => {
                    tracing::debug!(node = self.node_id(), addr = %self.addr(), version, "connected");
                    let _ = self.inner.versions.set(versions);
                    return Ok(());
                }
                Handshake::Retry(next) if next < version => version = next,
                Handshake::Retry(_) | Handshake::Failed(_) => {
                    self.close();
                    return Err(ClientError::kafka(
                        response.error_code,
                        None,
                        format!("ApiVersions v{version} to node {}", self.node_id()),
                    ));
                }
            }
        }
        self.close();
        Err(ClientError::Protocol { node: self.node_id(), reason: "ApiVersions handshake did not settle".into() })
    }

    /// The broker id this connection was opened for (-1 for a bootstrap server).
    pub fn node_id(&self) -> i32 {
        self.inner.node_id
    }

    /// The host name the connection was opened with.
    pub fn host(&self) -> &str {
        &self.inner.host
    }

    /// The socket address connected to.
    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    /// What the broker advertised in the handshake.
    pub fn api_versions(&self) -> ApiVersions {
        self.inner.versions.get().cloned().unwrap_or_default()
    }

    /// The version [`BrokerConnection::send`] uses for `api`: the highest both sides support.
    pub fn version_for(&self, api: ApiKey) -> Result<i16, ClientError> {
        let versions = self.inner.versions.get();
        versions.and_then(|v| v.version_for(api)).ok_or_else(|| ClientError::UnsupportedVersion {
            node: self.node_id(),
            api: api.name(),
            ours: api.versions(),
            theirs: versions.and_then(|v| v.broker_range(api)),
        })
    }

    /// Whether the connection has failed or been closed; a closed connection never reopens.
    pub fn is_closed(&self) -> bool {
        self.inner.pipeline.is_closed() || self.inner.outgoing.is_closed()
    }

    /// Requests sent and not yet answered.
    pub fn in_flight(&self) -> usize {
        self.inner.max_in_flight.saturating_sub(self.inner.in_flight.available_permits())
    }

    /// Closes the connection, failing outstanding requests.
    pub fn close(&self) {
        self.close_with("closed by the client".to_owned());
    }

    fn close_with(&self, reason: String) {
        self.inner.pipeline.close(reason);
        for task in &self.inner.tasks {
            task.abort();
        }
    }

    fn closed_error(&self) -> ClientError {
        self.inner.pipeline.closed_error(&self.inner.pipeline.reason())
    }

    /// Sends `request` at the negotiated version and waits for its response.
    pub async fn send<R: Request>(&self, request: &R) -> Result<R::Response, ClientError> {
        let version = self.version_for(R::API_KEY)?;
        self.send_at(request, version).await
    }

    /// Sends `request` at `version` (which the caller has checked the broker supports).
    pub async fn send_at<R: Request>(&self, request: &R, version: i16) -> Result<R::Response, ClientError> {
        self.send_pipelined(request, version).await?.wait().await
    }

    /// Queues `request` at `version` on the connection and returns once it is queued, with a future for
    /// its response. Requests queued by one caller one after the other reach the broker in that order,
    /// which is what a producer needs to keep several batches of a partition in flight.
    pub async fn send_pipelined<R: Request>(
        &self,
        request: &R,
        version: i16,
    ) -> Result<ResponseFuture<R>, ClientError> {
        let client_id = &self.inner.client_id;
        let (reply, deadline) = self.enqueue(R::API_KEY, |id| encode_frame(request, version, id, client_id)).await?;
        Ok(ResponseFuture { conn: self.clone(), reply, deadline, version, _request: PhantomData })
    }

    /// Sends a request the broker will not answer (Produce with `acks=0`). Returns once it is queued for
    /// writing; ordering with other requests on this connection is kept.
    pub async fn send_no_response<R: Request>(&self, request: &R) -> Result<(), ClientError> {
        let version = self.version_for(R::API_KEY)?;
        self.send_no_response_at(request, version).await
    }

    /// [`BrokerConnection::send_no_response`] at `version`.
    pub async fn send_no_response_at<R: Request>(&self, request: &R, version: i16) -> Result<(), ClientError> {
        let deadline = Instant::now() + self.inner.request_timeout;
        let _permit = self.permit(R::API_KEY, deadline).await?;
        let correlation_id = self.next_correlation_id();
        let frame = encode_frame(request, version, correlation_id, &self.inner.client_id)?;
        match timeout_at(deadline, self.inner.outgoing.send(Outgoing { frame, pending: None })).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(self.closed_error()),
            Err(_) => Err(self.timeout_error(R::API_KEY)),
        }
    }

    fn next_correlation_id(&self) -> i32 {
        self.inner.next_correlation_id.fetch_add(1, Ordering::Relaxed)
    }

    fn timeout_error(&self, api: ApiKey) -> ClientError {
        ClientError::RequestTimeout { api: api.name(), node: self.node_id(), after: self.inner.request_timeout }
    }

    async fn permit(&self, api: ApiKey, deadline: Instant) -> Result<OwnedSemaphorePermit, ClientError> {
        if self.is_closed() {
            return Err(self.closed_error());
        }
        match timeout_at(deadline, Arc::clone(&self.inner.in_flight).acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) => Err(self.closed_error()),
            Err(_) => Err(self.timeout_error(api)),
        }
    }

    /// Queues a frame whose response is wanted; returns the receiver of the raw response and the deadline.
    async fn enqueue(
        &self,
        api: ApiKey,
        encode: impl FnOnce(i32) -> Result<EncodedFrame, ClientError>,
    ) -> Result<(oneshot::Receiver<Result<Bytes, ClientError>>, Instant), ClientError> {
        let deadline = Instant::now() + self.inner.request_timeout;
        let permit = self.permit(api, deadline).await?;
        let correlation_id = self.next_correlation_id();
        let frame = encode(correlation_id)?;
        let (reply, response) = oneshot::channel();
        let pending = Pending { correlation_id, reply, _permit: permit };
        match timeout_at(deadline, self.inner.outgoing.send(Outgoing { frame, pending: Some(pending) })).await {
            Ok(Ok(())) => Ok((response, deadline)),
            Ok(Err(_)) => Err(self.closed_error()),
            Err(_) => Err(self.timeout_error(api)),
        }
    }

    /// Waits for a queued request's raw response frame (after its size prefix).
    async fn response(
        &self,
        api: ApiKey,
        reply: oneshot::Receiver<Result<Bytes, ClientError>>,
        deadline: Instant,
    ) -> Result<Bytes, ClientError> {
        match timeout_at(deadline, reply).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(self.closed_error()),
            Err(_) => {
                self.close_with(format!("request {} timed out", api.name()));
                Err(self.timeout_error(api))
            }
        }
    }

    /// Queues a frame and waits for the raw response frame.
    async fn round_trip(
        &self,
        api: ApiKey,
        encode: impl FnOnce(i32) -> Result<EncodedFrame, ClientError>,
    ) -> Result<Bytes, ClientError> {
        let (reply, deadline) = self.enqueue(api, encode).await?;
        self.response(api, reply, deadline).await
    }
}

/// The response to a request queued with [`BrokerConnection::send_pipelined`].
#[derive(Debug)]
pub struct ResponseFuture<R> {
    conn: BrokerConnection,
    reply: oneshot::Receiver<Result<Bytes, ClientError>>,
    deadline: Instant,
    version: i16,
    _request: PhantomData<fn() -> R>,
}

impl<R: Request> ResponseFuture<R> {
    /// Waits for the response (up to the request's deadline) and decodes it.
    pub async fn wait(self) -> Result<R::Response, ClientError> {
        let frame = self.conn.response(R::API_KEY, self.reply, self.deadline).await?;
        decode_response::<R>(frame, self.version)
    }
}

/// Encodes a whole request frame: size prefix, header (version from the API and its version), body.
pub fn encode_frame<R: Request>(
    request: &R,
    version: i16,
    correlation_id: i32,
    client_id: &ByteString,
) -> Result<EncodedFrame, ClientError> {
    let header = RequestHeader {
        request_api_key: R::API_KEY.key(),
        request_api_version: version,
        correlation_id,
        client_id: Some(client_id.clone()),
        ..Default::default()
    };
    let header_version = request_header_version(R::API_KEY, version);
    let size = header.encoded_len(header_version) + request.encoded_len(version);
    let prefix = i32::try_from(size)
        .map_err(|_| ClientError::Config(format!("{} request of {size} bytes is too large", R::API_KEY.name())))?;
    let mut w = Writer::with_capacity(4 + size.min(64 * 1024));
    w.i32(prefix);
    header.encode(&mut w, header_version)?;
    request.encode(&mut w, version)?;
    Ok(w.finish())
}

/// Decodes a response frame (after its size prefix) to `R`'s response at `version`.
pub fn decode_response<R: Request>(frame: Bytes, version: i16) -> Result<R::Response, ClientError> {
    let mut r = Reader::new(frame);
    ResponseHeader::decode(&mut r, response_header_version(R::API_KEY, version))?;
    Ok(R::Response::decode(&mut r, version)?)
}

async fn write_loop(mut socket: OwnedWriteHalf, mut rx: mpsc::Receiver<Outgoing>, pipeline: Arc<Pipeline>) {
    let mut buf = BytesMut::with_capacity(COALESCE_BYTES);
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        while let Some(item) = next.take() {
            let queued = match item.pending {
                Some(pending) => pipeline.push(pending),
                None => !pipeline.is_closed(),
            };
            if !queued {
                return;
            }
            for chunk in item.frame.chunks() {
                if chunk.len() >= DIRECT_WRITE_BYTES {
                    if let Err(e) = flush(&mut socket, &mut buf).await {
                        return pipeline.close(format!("write failed: {e}"));
                    }
                    if let Err(e) = socket.write_all(chunk).await {
                        return pipeline.close(format!("write failed: {e}"));
                    }
                } else {
                    buf.extend_from_slice(chunk);
                }
            }
            if buf.len() < COALESCE_BYTES {
                next = rx.try_recv().ok();
            }
        }
        if let Err(e) = flush(&mut socket, &mut buf).await {
            return pipeline.close(format!("write failed: {e}"));
        }
        if buf.capacity() > 4 * COALESCE_BYTES {
            buf = BytesMut::with_capacity(COALESCE_BYTES);
        }
    }
}

async fn flush(socket: &mut OwnedWriteHalf, buf: &mut BytesMut) -> std::io::Result<()> {
    if !buf.is_empty() {
        socket.write_all(buf).await?;
        buf.clear();
    }
    Ok(())
}

async fn read_loop(socket: OwnedReadHalf, pipeline: Arc<Pipeline>, max_response_bytes: usize) {
    let reason = match read_frames(socket, &pipeline, max_response_bytes).await {
        Ok(()) => "closed by the broker".to_owned(),
        Err(reason) => reason,
    };
    pipeline.close(reason);
}

async fn read_frames(socket: OwnedReadHalf, pipeline: &Pipeline, max_response_bytes: usize) -> Result<(), String> {
    let mut reader = BufReader::with_capacity(READ_BUFFER_BYTES, socket);
    loop {
        let mut prefix = [0u8; 4];
        match reader.read_exact(&mut prefix).await {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(format!("read failed: {e}")),
        }
        let size = frame_size(prefix, max_response_bytes).map_err(|e| format!("response refused: {e}"))?;
        let mut body = BytesMut::with_capacity(size);
        let mut limited = (&mut reader).take(size as u64);
        while body.len() < size {
            match limited.read_buf(&mut body).await {
                Ok(0) => return Err("closed by the broker in the middle of a response".to_owned()),
                Ok(_) => {}
                Err(e) => return Err(format!("read failed: {e}")),
            }
        }
        let body = body.freeze();
        let correlation_id = match body.get(..4) {
            Some(&[a, b, c, d]) => i32::from_be_bytes([a, b, c, d]),
            _ => return Err(format!("response frame of {size} bytes has no header")),
        };
        let Some(pending) = pipeline.pop() else {
            return Err(format!("response with correlation id {correlation_id} arrived with no request outstanding"));
        };
        if pending.correlation_id != correlation_id {
            let reason = format!(
                "response correlation id {correlation_id} does not match the oldest request's {}",
                pending.correlation_id
            );
            let _ = pending.reply.send(Err(ClientError::Protocol { node: pipeline.node_id, reason: reason.clone() }));
            return Err(reason);
        }
        let _ = pending.reply.send(Ok(body));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_forms() {
        assert_eq!(split_host_port("localhost:9092").ok(), Some(("localhost".to_owned(), 9092)));
        assert_eq!(split_host_port("[::1]:9093").ok(), Some(("::1".to_owned(), 9093)));
        assert_eq!(split_host_port("PLAINTEXT://b1:9094").ok(), Some(("b1".to_owned(), 9094)));
        assert!(split_host_port("localhost").is_err());
        assert!(split_host_port(":9092").is_err());
        assert!(split_host_port("h:99999").is_err());
    }
}
