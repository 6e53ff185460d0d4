//! One client connection: read a frame, handle it, write the answer, repeat.
//!
//! Requests are handled strictly one at a time, like Kafka, which mutes a connection while a request is in
//! flight: a client pipelining produce requests (librdkafka sends up to five) gets them applied and
//! answered in order. The kernel's socket buffer holds what the client sent ahead.

use std::collections::VecDeque;
use std::future::Future;
use std::io::IoSlice;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use flotilla_protocol::frame::{
    decode_request_header, encode_response, frame_size, FrameSizeError, RequestFrameHeader,
};
use flotilla_protocol::messages::RequestHeader;
use flotilla_protocol::{ApiKey, DecodeError, EncodeError, EncodedFrame, Reader, RequestBody, ResponseBody};
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tracing::{debug, warn};

use crate::handlers::{self, api_versions};

/// Kafka's `socket.request.max.bytes` default.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 100 * 1024 * 1024;
/// Kafka's `connections.max.idle.ms` default.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_millis(600_000);
/// Bytes read from the socket at a time while a frame body arrives: the buffer grows with what the client
/// actually sends, not with what its size prefix claims.
const READ_CHUNK_BYTES: usize = 64 * 1024;

/// Per-connection limits.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Frames larger than this are refused from their size prefix (`socket.request.max.bytes`).
    pub max_request_bytes: usize,
    /// A connection with no request for this long is closed (`connections.max.idle.ms`).
    pub idle_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self { max_request_bytes: DEFAULT_MAX_REQUEST_BYTES, idle_timeout: DEFAULT_IDLE_TIMEOUT }
    }
}

/// What a handler knows about the request besides its body.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub peer: SocketAddr,
    pub header: RequestHeader,
    pub api_key: ApiKey,
}

impl RequestContext {
    pub fn api_version(&self) -> i16 {
        self.header.request_api_version
    }
}

/// Answers decoded requests; implemented by the broker over its partitions and metadata.
pub trait RequestHandler: Send + Sync + 'static {
    /// The response to `request`, or `None` when Kafka sends none (produce with acks=0).
    fn handle(&self, ctx: &RequestContext, request: RequestBody) -> impl Future<Output = Option<ResponseBody>> + Send;
}

/// Why a connection was closed by us.
#[derive(Debug, Error)]
pub enum ConnectionError {
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("refused frame: {0}")]
    FrameSize(#[from] FrameSizeError),
    #[error("malformed request: {0}")]
    Decode(#[from] DecodeError),
    #[error("unknown API key {0}")]
    UnknownApi(i16),
    #[error("{api:?} version {version} is not supported")]
    UnsupportedVersion { api: ApiKey, version: i16 },
    #[error("cannot encode response: {0}")]
    Encode(#[from] EncodeError),
    #[error("idle for longer than {0:?}")]
    Idle(Duration),
}

/// Serves one connection until the client closes it, it misbehaves, or `shutdown` turns true (checked
/// between requests, so a request being handled is still answered).
pub async fn run<S, H>(
    stream: S,
    peer: SocketAddr,
    handler: Arc<H>,
    limits: ConnectionLimits,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), ConnectionError>
where
    S: AsyncRead + AsyncWrite + Unpin,
    H: RequestHandler,
{
    let (mut reader, mut writer) = tokio::io::split(stream);
    loop {
        let mut prefix = [0u8; 4];
        tokio::select! {
            biased;
            _ = shutdown.wait_for(|stop| *stop) => return Ok(()),
            read = tokio::time::timeout(limits.idle_timeout, reader.read_exact(&mut prefix)) => match read {
                Err(_) => return Err(ConnectionError::Idle(limits.idle_timeout)),
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
                Ok(Err(e)) => return Err(e.into()),
                Ok(Ok(_)) => {}
            },
        }
        let size = frame_size(prefix, limits.max_request_bytes)?;
        // A body that trickles in is bounded by the same idle limit as the wait for a request.
        let frame = tokio::time::timeout(limits.idle_timeout, read_body(&mut reader, size))
            .await
            .map_err(|_| ConnectionError::Idle(limits.idle_timeout))??;
        if let Some(response) = answer(frame, peer, handler.as_ref()).await? {
            write_frame(&mut writer, response).await?;
        }
    }
}

/// Reads `size` bytes, growing the buffer only as bytes arrive.
async fn read_body<R: AsyncRead + Unpin>(reader: &mut R, size: usize) -> std::io::Result<Bytes> {
    let mut body = BytesMut::with_capacity(size.min(READ_CHUNK_BYTES));
    while body.len() < size {
        let want = (size - body.len()).min(READ_CHUNK_BYTES);
        body.reserve(want);
        let mut limited = (&mut *reader).take(want as u64);
        if limited.read_buf(&mut body).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
    }
    Ok(body.freeze())
}

/// Decodes one request, lets the handler answer it, and encodes the answer.
async fn answer<H: RequestHandler>(
    frame: Bytes,
    peer: SocketAddr,
    handler: &H,
) -> Result<Option<EncodedFrame>, ConnectionError> {
    let mut reader = Reader::new(frame);
    let RequestFrameHeader { header, api_key } = decode_request_header(&mut reader)?;
    let api_key = api_key.ok_or(ConnectionError::UnknownApi(header.request_api_key))?;
    let version = header.request_api_version;
    let supported = handlers::supported_versions(api_key);
    if !supported.is_some_and(|range| range.contains(version)) {
        if api_key == ApiKey::ApiVersions {
            // Answered at version 0 so any client can read it, then it retries with a version we list.
            debug!(%peer, version, "ApiVersions version not supported; answering with version 0");
            let body = ResponseBody::ApiVersions(api_versions::unsupported_version_response());
            return Ok(Some(encode_response(header.correlation_id, 0, &body)?));
        }
        return Err(ConnectionError::UnsupportedVersion { api: api_key, version });
    }
    let body = RequestBody::decode(api_key, &mut reader, version)?;
    let correlation_id = header.correlation_id;
    let ctx = RequestContext { peer, header, api_key };
    match handler.handle(&ctx, body).await {
        Some(response) => Ok(Some(encode_response(correlation_id, version, &response)?)),
        None => Ok(None),
    }
}

/// The chunks of an encoded frame as one [`Buf`], so the socket gets them in a vectored write.
struct ChunkBuf(VecDeque<Bytes>);

impl Buf for ChunkBuf {
    fn remaining(&self) -> usize {
        self.0.iter().map(Bytes::len).sum()
    }

    fn chunk(&self) -> &[u8] {
        self.0.front().map_or(&[], |b| b.as_ref())
    }

    fn advance(&mut self, mut cnt: usize) {
        while cnt > 0 {
            let Some(front) = self.0.front_mut() else { return };
            if cnt < front.len() {
                front.advance(cnt);
                return;
            }
            cnt -= front.len();
            self.0.pop_front();
        }
    }

    fn chunks_vectored<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        let mut n = 0;
        for (slot, chunk) in dst.iter_mut().zip(self.0.iter()) {
            *slot = IoSlice::new(chunk);
            n += 1;
        }
        n
    }
}

/// Writes a frame's chunks without joining them.
pub async fn write_frame<W: AsyncWrite + Unpin>(writer: &mut W, frame: EncodedFrame) -> std::io::Result<()> {
    let mut buf = ChunkBuf(frame.into_chunks().into());
    writer.write_all_buf(&mut buf).await?;
    writer.flush().await
}

/// Logs why a connection ended; a client closing its side is not worth a warning.
pub fn log_end(peer: SocketAddr, result: &Result<(), ConnectionError>) {
    match result {
        Ok(()) => debug!(%peer, "connection closed"),
        Err(ConnectionError::Io(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => {
            debug!(%peer, "connection reset by peer")
        }
        Err(e) => warn!(%peer, error = %e, "closing connection"),
    }
}
