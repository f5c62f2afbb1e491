# syntax=docker/dockerfile:1
#
# Both EchoSenseiX binaries, built once in release mode.
#
#   docker build --target api    -t echosenseix/api .
#   docker build --target worker -t echosenseix/worker .
#
# Migrations are embedded in the binaries, so the images need no SQL files.

############################ builder ############################
FROM rust:1-bookworm AS builder
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
FROM debian:bookworm-slim AS runtime
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
ENTRYPOINT ["/usr/local/bin/echosenseix-worker"]

############################ api (default target) ############################
FROM runtime AS api
COPY --from=builder /out/echosenseix-api /usr/local/bin/echosenseix-api
ENV PORT=5000
EXPOSE 5000
ENTRYPOINT ["/usr/local/bin/echosenseix-api"]
CMD ["serve"]
