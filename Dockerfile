# support-metrics as a container: the binary, the example configuration and
# the shipped dashboards and rules, run as a non-root user.
#   docker build -t support-metrics .
#   docker run -p 10891:10891 -e SUPPORT_METRICS__SOURCE__URL=postgres://… support-metrics
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin support-metrics

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/support-metrics --create-home support-metrics
COPY --from=build /src/target/release/support-metrics /usr/local/bin/support-metrics
COPY config/support-metrics.toml /etc/support-metrics/support-metrics.toml
COPY dashboards /usr/share/support-metrics/dashboards
USER 10001
# SQLite files (the default state store) live here; mount a volume to keep them.
WORKDIR /var/lib/support-metrics
# Scraped from other hosts: listen on every interface, not loopback.
ENV SUPPORT_METRICS__SERVER__LISTEN=0.0.0.0:10891
EXPOSE 10891
ENTRYPOINT ["/usr/local/bin/support-metrics"]
CMD ["--config", "/etc/support-metrics/support-metrics.toml", "serve"]
