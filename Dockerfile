# syntax=docker/dockerfile:1
#
# Ambito's HTTP API as a small Debian image.
#
#   docker build -t ambito .
#   docker run --rm -p 8080:8080 -e AMBITO_JWT_SECRET=... -e DATABASE_URL=postgres://... ambito
#
# Needs BuildKit (the default builder since Docker 23) for the cache mounts below.
# docker-compose.yml runs it next to PostgreSQL; .env.example lists the settings.

############################################################################ build
# rust:1 follows the latest stable Rust; the workspace needs >= 1.88 (edition 2024).
FROM rust:1-bookworm AS build

# diesel's PostgreSQL backend links libpq (pq-sys); SQLite is compiled in (bundled).
# Versions come from the base image's Debian release, so they are not pinned here.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Every workspace member must be present for cargo to load the workspace, tests/ included.
COPY Cargo.toml Cargo.lock ./
COPY domain/ domain/
COPY persistence/ persistence/
COPY api/ api/
COPY tests/ tests/

# The registry and target dir live in cache mounts that outlast this build (and are not
# part of any layer), so the binary is copied out of target/ before the step ends.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release -p ambito-api --locked \
 && install -D -m 0755 target/release/ambito /out/ambito

########################################################################## runtime
FROM debian:bookworm-slim AS runtime

LABEL org.opencontainers.image.title="ambito" \
      org.opencontainers.image.description="Ambito HTTP JSON API" \
      org.opencontainers.image.licenses="EUPL-1.2"

# libpq5 for PostgreSQL; ca-certificates so a TLS server can be verified, e.g.
# DATABASE_URL=postgres://...?sslmode=verify-full&sslrootcert=/etc/ssl/certs/ca-certificates.crt
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# An unprivileged user that owns the working directory. With the default SQLite
# DATABASE_URL (sqlite://data/ambito.db) the database file lands in
# /var/lib/ambito/data/: mount a volume there to keep it (a new named volume takes on
# the directory's owner from the image).
RUN groupadd --system --gid 10001 ambito \
 && useradd --system --uid 10001 --gid ambito --no-create-home \
        --home-dir /var/lib/ambito --shell /usr/sbin/nologin ambito \
 && install -d -o ambito -g ambito -m 0750 /var/lib/ambito /var/lib/ambito/data

COPY --from=build /out/ambito /usr/local/bin/ambito

WORKDIR /var/lib/ambito
# The `ambito` user, by number so that Kubernetes' runAsNonRoot can check it.
USER 10001:10001

ENV AMBITO_BIND=0.0.0.0:8080
EXPOSE 8080

# No HEALTHCHECK here: the image has no curl or wget, the port follows AMBITO_BIND, and the
# same image also runs one-shot commands (migrate, create-admin). docker-compose.yml checks
# GET /health/ready with bash's /dev/tcp instead; copy that check to other orchestrators.

ENTRYPOINT ["ambito"]
CMD ["serve"]
