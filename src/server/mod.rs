//! The HTTP side of `serve` (axum): `/metrics` renders the latest snapshot,
//! `/healthz` says the process runs, `/readyz` says a collection has
//! succeeded and the source answers (probed every few seconds between
//! jobs). Nothing here touches a database.
//!
//! With `[server.basic_auth_users]`, `/metrics` and `/` ask for a user and
//! password; `/healthz` and `/readyz` stay open for liveness and readiness
//! probes (they say nothing about the data). With `[server.tls]` it all
//! goes over HTTPS.

pub mod auth;
pub mod connections;
pub mod tls;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::exporter::Exporter;
use crate::exposition::{Encoding, Exposition};

#[derive(Clone)]
struct AppState {
    exporter: Arc<Exporter>,
    exposition: Arc<Exposition>,
}

/// The router, testable in-process; `users` guard `/metrics` and `/`
/// when there are any.
pub fn app(
    exporter: Arc<Exporter>,
    users: &BTreeMap<String, crate::config::BcryptHash>,
) -> prometheus::Result<Router> {
    let exposition = Arc::new(Exposition::new(exporter.shared())?);
    let mut guarded = Router::new()
        .route("/metrics", get(metrics))
        .route("/", get(index));
    if !users.is_empty() {
        guarded = guarded.route_layer(axum::middleware::from_fn_with_state(
            auth::Users::new(users.clone()),
            auth::require,
        ));
    }
    Ok(guarded
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .with_state(AppState {
            exporter,
            exposition,
        }))
}

async fn metrics(State(s): State<AppState>, headers: header::HeaderMap) -> Response {
    let encoding = Encoding::accepted(
        headers
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok()),
    );
    match s.exposition.body(encoding) {
        Ok(body) => {
            let content_type = (
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            );
            // Caches between the scraper and us must keep both forms apart.
            let vary = (header::VARY, "Accept-Encoding");
            match encoding {
                Encoding::Gzip => (
                    [content_type, vary, (header::CONTENT_ENCODING, "gzip")],
                    body,
                )
                    .into_response(),
                Encoding::Identity => ([content_type, vary], body).into_response(),
            }
        }
        Err(e) => {
            tracing::error!("cannot render /metrics: {e}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot render metrics: {e}\n"),
            )
                .into_response()
        }
    }
}

async fn readyz(State(s): State<AppState>) -> Response {
    match s.exporter.readiness() {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {why}\n"),
        )
            .into_response(),
    }
}

async fn index() -> impl IntoResponse {
    "support-metrics exporter: /metrics, /healthz, /readyz\n"
}
