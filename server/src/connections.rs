//! Connections before HTTP: how many the relay holds at once, and how long one may take to say
//! what it wants. Without both, anyone who can reach the port holds the relay's memory and file
//! descriptors with connections that never finish a request (idle sockets, slowloris).
//!
//! - [`Gate`]: the overall cap (`--max-connections`). A connection is admitted with a permit that
//!   travels with its socket ([`Counted`]), through a TLS handshake and a WebSocket upgrade, and
//!   is given back when the socket closes. One past the cap is answered 503 with Retry-After
//!   (plain HTTP; an https port simply closes it) in a single non-blocking write, without a task
//!   or a buffer, so refusing thousands costs nothing.
//! - [`serve`]: hyper's HTTP/1.1 server with a timer, so [`HttpLimits::header_timeout`] holds: a
//!   request's head must arrive within it of the connection being ready for one (just opened, or
//!   kept alive after its last answer). A connection that sends nothing, or its headers a byte at
//!   a time, is closed then; so the same bound is how long an idle kept-alive connection lives.

use std::{
    future::Future,
    io,
    net::SocketAddr,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use axum::{Router, extract::ConnectInfo};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    service::TowerToHyperService,
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::{OwnedSemaphorePermit, Semaphore, watch},
};
use tower::ServiceExt;

use crate::occasionally::Occasionally;

/// The default of `--max-connections`: a school's devices (a socket per tab, a few HTTP
/// connections per browser) with room to spare, under the usual open-file limit of 1,024.
pub const DEFAULT_MAX_CONNECTIONS: usize = 900;
/// The default of `--header-timeout-secs`: headers are a few KB; a phone on a poor network
/// sends them in well under this.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(20);
/// Bytes hyper buffers per connection: a request's head must fit (Node's limit for headers is
/// half of it), so a connection trickling headers holds this much at most (hyper's default is
/// about 400 KB, which a thousand such connections would turn into 400 MB).
const MAX_BUFFER_BYTES: usize = 32 * 1024;
/// What a connection past the cap is asked to wait.
const RETRY_AFTER_SECS: u64 = 5;

/// Bounds on connections, whatever they carry.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    /// Connections open at once (TCP, TLS handshakes and WebSockets included).
    pub max_connections: usize,
    /// How long a request's head may take to arrive; also how long an idle connection stays.
    pub header_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self { max_connections: DEFAULT_MAX_CONNECTIONS, header_timeout: DEFAULT_HEADER_TIMEOUT }
    }
}

/// The overall connection cap, shared by every listener of the relay.
#[derive(Debug, Clone)]
pub struct Gate {
    permits: Arc<Semaphore>,
    max: usize,
    refusals: Arc<Occasionally>,
}

impl Gate {
    pub fn new(max_connections: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max_connections)),
            max: max_connections,
            refusals: Arc::new(Occasionally::new(Duration::from_secs(60))),
        }
    }

    /// Admits `tcp` if the relay holds fewer than its cap; otherwise answers it 503 (when
    /// `answer_http`) or nothing, and drops it.
    pub fn admit(&self, tcp: TcpStream, answer_http: bool) -> Option<Counted<TcpStream>> {
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            if answer_http {
                // A fresh socket's send buffer is empty, so the whole answer fits; if it does
                // not, the device gets a closed connection, which says the same.
                let _ = tcp.try_write(REFUSED.as_bytes());
            }
            if let Some(unlogged) = self.refusals.now() {
                tracing::warn!(
                    max_connections = self.max,
                    refused_since_last_line = unlogged,
                    "refusing connections: the relay holds as many as --max-connections allows"
                );
            }
            return None;
        };
        // WebSocket sync sends small frames that should not wait for Nagle's algorithm.
        let _ = tcp.set_nodelay(true);
        Some(Counted { io: tcp, _permit: permit })
    }
}

/// The answer to a connection past the cap: complete, and closing.
static REFUSED: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let body = r#"{"error":"the relay has too many connections open; try again in a few seconds"}"#;
    format!(
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: {RETRY_AFTER_SECS}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
});

/// A socket holding one of the [`Gate`]'s permits until it is dropped.
#[derive(Debug)]
pub struct Counted<IO> {
    io: IO,
    _permit: OwnedSemaphorePermit,
}

impl<IO> Counted<IO> {
    pub fn get_ref(&self) -> &IO {
        &self.io
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Counted<IO> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Counted<IO> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

/// Warns when `max_connections` sockets would not fit under the process's open-file limit (with
/// room for the database's files): past it, accepting fails instead of answering 503.
pub fn warn_if_over_open_file_limit(max_connections: usize) {
    // Linux only (`/proc`); elsewhere the operator's documentation has to do.
    let Ok(limits) = std::fs::read_to_string("/proc/self/limits") else { return };
    let soft = limits
        .lines()
        .find_map(|line| line.strip_prefix("Max open files"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|soft| soft.parse::<usize>().ok());
    if let Some(soft) = soft.filter(|&soft| soft < max_connections + 64) {
        tracing::warn!(
            open_file_limit = soft,
            max_connections,
            "--max-connections is close to or above the open-file limit: raise the limit (ulimit -n, or \
             LimitNOFILE= in a systemd unit) or lower --max-connections"
        );
    }
}

/// Plain TCP through the [`Gate`].
#[derive(Debug)]
pub struct GatedListener {
    listener: TcpListener,
    gate: Gate,
}

impl GatedListener {
    pub fn new(listener: TcpListener, gate: Gate) -> Self {
        Self { listener, gate }
    }
}

impl axum::serve::Listener for GatedListener {
    type Io = Counted<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.listener.accept().await {
                Ok((tcp, peer)) => {
                    if let Some(counted) = self.gate.admit(tcp, true) {
                        return (counted, peer);
                    }
                }
                Err(error) => accept_failed(error).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.listener.local_addr()
    }
}

/// Out of file descriptors and the like: wait instead of spinning (a connection reset before it
/// was accepted needs no wait, but costs nothing either).
pub(crate) async fn accept_failed(error: io::Error) {
    tracing::warn!("cannot accept a connection: {error}");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// Serves `router` on every connection `listener` gives until `shutdown` completes; then stops
/// accepting, lets each connection finish the request it is on, and returns once they have.
/// Upgraded connections (WebSockets) are not waited for: the relay asks them to close itself.
pub async fn serve<L>(
    mut listener: L,
    router: Router,
    limits: &HttpLimits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()>
where
    L: axum::serve::Listener<Addr = SocketAddr>,
    L::Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // Every connection task holds a `_done` receiver; once all are dropped, all have finished.
    let (stop, stopping) = watch::channel(false);
    let (all_done, done) = watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (io, peer) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        // Handlers find the peer's address where axum's own server puts it.
        let service =
            router.clone().map_request(move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .max_buf_size(MAX_BUFFER_BYTES);
        let mut stopping = stopping.clone();
        let _done = done.clone();
        tokio::spawn(async move {
            let connection =
                builder.serve_connection(TokioIo::new(io), TowerToHyperService::new(service)).with_upgrades();
            let mut connection = std::pin::pin!(connection);
            let stop = async move {
                let _ = stopping.wait_for(|stop| *stop).await;
            };
            let outcome = tokio::select! {
                outcome = connection.as_mut() => outcome,
                () = stop => {
                    connection.as_mut().graceful_shutdown();
                    connection.as_mut().await
                }
            };
            // Timeouts, resets and malformed requests: the device's problem, and frequent.
            if let Err(error) = outcome {
                tracing::debug!(%peer, "connection ended: {error}");
            }
            drop(_done);
        });
    }
    drop(listener);
    stop.send_replace(true);
    drop(done);
    all_done.closed().await;
    Ok(())
}
