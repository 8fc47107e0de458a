# syntax=docker/dockerfile:1
# Multi-stage build: compile in the Rust image, run on a slim Debian as a non-root user.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# Dependencies first, so that a source change does not rebuild them.
COPY Cargo.toml Cargo.lock ./
COPY entity/Cargo.toml entity/Cargo.toml
COPY migration/Cargo.toml migration/Cargo.toml
RUN mkdir -p src entity/src migration/src tests/api \
    && echo 'fn main() {}' > src/main.rs && touch src/lib.rs entity/src/lib.rs migration/src/lib.rs \
    && echo 'fn main() {}' > tests/api/main.rs \
    && cargo build --release --locked \
    && rm -rf src entity/src migration/src
COPY . .
RUN touch src/main.rs src/lib.rs entity/src/lib.rs migration/src/lib.rs \
    && cargo build --release --locked

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin soiduong \
    && mkdir -p /app/data && chown soiduong:soiduong /app/data
WORKDIR /app
COPY --from=build /src/target/release/soiduong /usr/local/bin/soiduong
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
