//! Accepting TLS connections for `axum::serve`.
//!
//! TCP connections are accepted in a task of their own and each handshake runs in its own task,
//! so a device that stalls mid-handshake (a tablet losing Wi-Fi) delays nobody else; finished
//! handshakes are handed to the HTTP server through a channel. Each connection is admitted by the
//! relay's [`Gate`] before its handshake starts (handshakes count towards `--max-connections`).

use std::{io, net::SocketAddr, sync::Arc, time::Duration};

use tokio::{
    net::{TcpListener, TcpStream},
    sync::mpsc,
};
use tokio_rustls::{TlsAcceptor, server::TlsStream};

use crate::connections::{Counted, Gate};

/// A TLS connection, counted by the relay's [`Gate`].
pub type Stream = TlsStream<Counted<TcpStream>>;

/// A device that has not finished its handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Finished handshakes waiting for axum to take them.
const BACKLOG: usize = 64;

/// A listener whose connections have completed a TLS handshake.
#[derive(Debug)]
pub struct TlsListener {
    local_addr: SocketAddr,
    accepted: mpsc::Receiver<(Stream, SocketAddr)>,
}

impl TlsListener {
    /// Starts accepting on `listener` with `config`, the connections `gate` admits. Must run
    /// inside a tokio runtime; accepting stops when the `TlsListener` is dropped.
    pub fn new(listener: TcpListener, config: Arc<rustls::ServerConfig>, gate: Gate) -> io::Result<Self> {
        let local_addr = listener.local_addr()?;
        let (sender, accepted) = mpsc::channel(BACKLOG);
        tokio::spawn(accept_loop(listener, TlsAcceptor::from(config), gate, sender));
        Ok(Self { local_addr, accepted })
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    gate: Gate,
    sender: mpsc::Sender<(Stream, SocketAddr)>,
) {
    loop {
        let (tcp, peer) = tokio::select! {
            () = sender.closed() => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    crate::connections::accept_failed(error).await;
                    continue;
                }
            },
        };
        // Past the cap it is closed unanswered: a 503 in plain text means nothing to TLS.
        let Some(tcp) = gate.admit(tcp, false) else { continue };
        let (acceptor, sender) = (acceptor.clone(), sender.clone());
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) if tls.get_ref().1.alpn_protocol() == Some(super::certs::ACME_TLS_ALPN) => {
                    // A CA validating a TLS-ALPN-01 challenge: the handshake was the whole answer.
                    tracing::debug!(%peer, "answered an ACME validation handshake");
                }
                Ok(Ok(tls)) => {
                    let _ = sender.send((tls, peer)).await;
                }
                Ok(Err(error)) => tracing::debug!(%peer, "TLS handshake failed: {error}"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        });
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = Stream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.accepted.recv().await {
            Some(accepted) => accepted,
            // The accept loop only ends once this receiver is gone, so this never completes.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local_addr)
    }
}
