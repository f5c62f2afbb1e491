# syntax=docker/dockerfile:1
#
# Both EchoSenseiX binaries, built once in release mode.
#
#   docker build --target api    -t echosenseix/api .
#   docker build --target worker -t echosenseix/worker .
#
# Migrations are embedded in the binaries, so the images need no SQL files.
#
# Base images are pinned to a toolchain and a Debian point release, so a rebuild gets
# the same compiler and libraries; for byte-for-byte repeatable builds pin the digests
# too (`FROM debian:12.11-slim@sha256:...`) and let a bot (Renovate, Dependabot) bump them.

############################ builder ############################
FROM rust:1.95.0-bookworm AS builder
WORKDIR /src

COPY . .

# Registry, git and target caches persist between builds (BuildKit cache mounts),
# so the binaries are copied out of target/ inside the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked -p echosenseix-api -p echosenseix-worker \
    && mkdir -p /out \
    && cp target/release/echosenseix-api target/release/echosenseix-worker /out/

############################ runtime base ############################
FROM debian:12.11-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 echosenseix \
    && useradd --system --uid 10001 --gid echosenseix --home-dir /var/lib/echosenseix \
       --shell /usr/sbin/nologin echosenseix \
    && mkdir -p /var/lib/echosenseix/uploads \
    && chown -R echosenseix:echosenseix /var/lib/echosenseix
WORKDIR /var/lib/echosenseix
ENV LOG_FORMAT=json \
    RUST_LOG=info
USER 10001:10001

############################ worker ############################
FROM runtime AS worker
COPY --from=builder /out/echosenseix-worker /usr/local/bin/echosenseix-worker
ENV WORKER_PORT=5001
EXPOSE 5001
# The image has no curl: a bare HTTP/1.0 request with bash's /dev/tcp.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${WORKER_PORT} && printf 'GET /health/live HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["/usr/local/bin/echosenseix-worker"]

############################ api (default target) ############################
FROM runtime AS api
COPY --from=builder /out/echosenseix-api /usr/local/bin/echosenseix-api
ENV PORT=5000
EXPOSE 5000
# Liveness only: readiness (/health/ready) is the load balancer's business, and a
# container marked unhealthy while Postgres is down would be restarted for nothing.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${PORT} && printf 'GET /health/live HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["/usr/local/bin/echosenseix-api"]
CMD ["serve"]
