//! Node-to-node gRPC on a Kafka listener.
//!
//! A broker-only node has no controller listener, so the other brokers reach its replication service
//! on its Kafka listeners, as Kafka's followers fetch over the inter-broker listener. The two protocols
//! tell themselves apart by their first four bytes: an HTTP/2 client opens with the preface
//! `PRI * HTTP/2.0`, whose `PRI ` read as a Kafka size prefix would announce a 1.35 GB request, which
//! no Kafka client sends. [`serve`](crate::server::serve_with_grpc) peeks at those bytes (without
//! consuming them) and hands an HTTP/2 connection over, whole, to the node's tonic server through a
//! [`GrpcHandoff`]. The connection keeps its `max.connections` slot ([`HandedOver`]) until it closes.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, OwnedSemaphorePermit};
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::{Stream, StreamExt};
use tonic::transport::server::{Connected, TcpConnectInfo};

/// The first bytes of the HTTP/2 client connection preface (RFC 9113, section 3.4).
const HTTP2_PREFACE_START: &[u8; 4] = b"PRI ";
/// Pause between peeks while fewer than four bytes have arrived (peek does not wait for more).
const PARTIAL_PREFIX_PAUSE: Duration = Duration::from_millis(5);
/// How long a partial prefix may sit before the connection is judged to be Kafka; the Kafka reader
/// then waits for the rest under the idle timeout without polling.
const PARTIAL_PREFIX_WAIT: Duration = Duration::from_secs(1);
/// Connections handed over but not yet taken by the gRPC server.
const HANDOFF_QUEUE: usize = 64;

/// Where a Kafka listener sends the gRPC connections it accepts.
#[derive(Debug, Clone)]
pub struct GrpcHandoff(mpsc::Sender<HandedOver>);

impl GrpcHandoff {
    /// A handoff and the stream of connections it receives, for `Server::serve_with_incoming`.
    pub fn new() -> (GrpcHandoff, impl Stream<Item = std::io::Result<HandedOver>>) {
        let (sender, receiver) = mpsc::channel(HANDOFF_QUEUE);
        (GrpcHandoff(sender), ReceiverStream::new(receiver).map(Ok))
    }

    /// Passes `stream`, with the connection slot it holds, to the gRPC server; false if the server
    /// has stopped.
    pub(crate) async fn hand_over(&self, stream: TcpStream, slot: OwnedSemaphorePermit) -> bool {
        self.0.send(HandedOver { stream, _slot: slot }).await.is_ok()
    }
}

/// A connection handed to the gRPC server, holding its `max.connections` slot while it is open.
#[derive(Debug)]
pub struct HandedOver {
    stream: TcpStream,
    _slot: OwnedSemaphorePermit,
}

impl AsyncRead for HandedOver {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for HandedOver {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
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

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

impl Connected for HandedOver {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> TcpConnectInfo {
        self.stream.connect_info()
    }
}

/// Whether the client on `stream` speaks HTTP/2 (gRPC) rather than Kafka, judged from its first four
/// bytes, which stay unread. Waits at most `wait` for them; a client that closes first is not gRPC.
pub(crate) async fn is_grpc(stream: &TcpStream, wait: Duration) -> std::io::Result<bool> {
    let judge = async {
        let mut prefix = [0u8; 4];
        let mut partial_since: Option<tokio::time::Instant> = None;
        loop {
            let seen = stream.peek(&mut prefix).await?;
            if seen == 0 {
                return Ok(false);
            }
            if !HTTP2_PREFACE_START.starts_with(&prefix[..seen.min(4)]) {
                return Ok(false);
            }
            if seen >= 4 {
                return Ok(true);
            }
            // Part of the prefix has arrived; peek returns at once while it sits there, so poll, briefly.
            let since = *partial_since.get_or_insert_with(tokio::time::Instant::now);
            if since.elapsed() >= PARTIAL_PREFIX_WAIT {
                return Ok(false);
            }
            tokio::time::sleep(PARTIAL_PREFIX_PAUSE).await;
        }
    };
    match tokio::time::timeout(wait, judge).await {
        Ok(judged) => judged,
        Err(_) => Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "no request within the idle timeout")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;

    use super::*;

    async fn judged(first_bytes: &[&[u8]]) -> std::io::Result<bool> {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        for chunk in first_bytes {
            client.write_all(chunk).await.unwrap();
            client.flush().await.unwrap();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let verdict = is_grpc(&server, Duration::from_millis(500)).await;
        drop(client);
        verdict
    }

    #[tokio::test]
    async fn tells_http2_from_kafka_by_the_first_four_bytes() {
        assert!(judged(&[b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"]).await.unwrap());
        assert!(judged(&[b"PR", b"I *"]).await.unwrap(), "a preface split across packets");
        // A Kafka ApiVersions request: a size prefix, then the header.
        assert!(!judged(&[&[0, 0, 0, 33, 0, 18, 0, 3]]).await.unwrap());
        assert!(!judged(&[b"P", b"OST"]).await.unwrap());
        // A partial prefix that stops arriving is left to the Kafka reader rather than polled for long.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        client.write_all(b"PR").await.unwrap();
        assert!(!is_grpc(&server, Duration::from_secs(30)).await.unwrap());
    }

    #[tokio::test]
    async fn a_silent_client_times_out_and_a_closed_one_is_not_grpc() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let silent = is_grpc(&server, Duration::from_millis(50)).await;
        assert_eq!(silent.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
        drop(client);
        assert!(!is_grpc(&server, Duration::from_millis(500)).await.unwrap());
    }
}
