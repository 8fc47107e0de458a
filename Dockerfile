# syntax=docker/dockerfile:1
# Multi-stage build: compile in the Rust image, run on a slim Debian as a non-root user.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
# Cache mounts keep the registry and the compiled dependencies between builds, so a source
# change rebuilds only this workspace, with no stub manifests that could drift from Cargo.toml.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin soiduong \
    && install -m 0755 target/release/soiduong /usr/local/bin/soiduong

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin soiduong \
    && mkdir -p /app/data && chown soiduong:soiduong /app/data
WORKDIR /app
COPY --from=build /usr/local/bin/soiduong /usr/local/bin/soiduong
COPY --chown=soiduong:soiduong question-banks /app/question-banks
USER soiduong
ENV SOIDUONG_BIND=0.0.0.0:8080 \
    SOIDUONG_DATA_DIR=/app/data \
    SOIDUONG_LOG_FORMAT=json
EXPOSE 8080
VOLUME ["/app/data"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["soiduong"]
CMD ["serve"]
