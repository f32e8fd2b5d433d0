//! The HTTP/1 connection loop of `serve`, with the limits a public port
//! needs (axum's own `serve` sets none of them):
//!
//! - a client must send a request's headers within [`HEADER_READ`]
//!   (a slowloris client trickling one header byte at a time is closed);
//! - at most [`MAX_CONNECTIONS`] connections are served at once; further
//!   ones wait in the kernel's backlog until one ends;
//! - a kept-alive connection is closed (after its request in flight) once
//!   it is [`MAX_AGE`] old, so that none lingers for ever.
//!
//! On shutdown, every connection finishes its request in flight and closes.

use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::sync::{Semaphore, watch};

/// The time a client has to send a request's headers.
pub const HEADER_READ: Duration = Duration::from_secs(10);
/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 256;
/// How long one connection is kept before it is closed gracefully.
pub const MAX_AGE: Duration = Duration::from_secs(60);

/// Serves `app` on `listener` until `stop` turns true.
pub async fn serve<L>(mut listener: L, app: axum::Router, stop: watch::Receiver<bool>)
where
    L: axum::serve::Listener,
{
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut accepting = stop.clone();
    loop {
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let (io, _peer) = tokio::select! {
            conn = listener.accept() => conn,
            _ = stopped(&mut accepting) => break,
        };
        let service = TowerToHyperService::new(app.clone());
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ)
                .keep_alive(true)
                .serve_connection(TokioIo::new(io), service);
            let mut conn = std::pin::pin!(conn);
            let old = tokio::time::sleep(MAX_AGE);
            tokio::pin!(old);
            tokio::select! {
                // Closed by the client, a timeout, or an error: done.
                _ = conn.as_mut() => {}
                _ = stopped(&mut stop) => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.as_mut().await;
                }
                // Kept this long: closed once its request is answered.
                _ = &mut old => {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(HEADER_READ, conn.as_mut()).await;
                }
            }
        });
    }
    // Wait for the connections in flight to finish.
    let _ = slots.acquire_many(MAX_CONNECTIONS as u32).await;
}

/// Resolves once `stop` is true (its guard dropped before it returns: the
/// connection tasks stay `Send`).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await.map(|_| ());
}
