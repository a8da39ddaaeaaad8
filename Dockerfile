# syntax=docker/dockerfile:1

# ---- build -------------------------------------------------------------------
FROM rust:1-bookworm AS build
WORKDIR /src

# The whole workspace (root crate + migration/); see .dockerignore.
# assets/ is part of it: the vendored GraphiQL files are built into the binary.
COPY . .

# Cache mounts keep the crates.io registry and target/ between builds
# (BuildKit); the binary is copied out of the cached target/ in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin khuyencong \
 && install -Dm755 target/release/khuyencong /out/khuyencong

# ---- runtime -----------------------------------------------------------------
FROM debian:bookworm-slim AS runtime

RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# Unprivileged user; its home is the working directory, so a SQLite database
# (when DATABASE_URL is not set to PostgreSQL) and other state can be written.
RUN groupadd --system --gid 10001 khuyencong \
 && useradd --system --uid 10001 --gid khuyencong \
        --home-dir /var/lib/khuyencong --create-home --shell /usr/sbin/nologin khuyencong

COPY --from=build /out/khuyencong /usr/local/bin/khuyencong

USER khuyencong:khuyencong
WORKDIR /var/lib/khuyencong

ENV KC_BIND=0.0.0.0:8080
# glibc's malloc raises its mmap threshold after each freed large block, so argon2's 19 MiB
# blocks (one per sign-in) end up kept in per-thread arenas: the soak (bench/soak.sh) grew
# from 36 to 1,339 MiB in 10 minutes without this, and stayed flat with it (README,
# "Reliability"). A fixed threshold returns such blocks to the system at once.
ENV GLIBC_TUNABLES=glibc.malloc.mmap_threshold=1048576
EXPOSE 8080

HEALTHCHECK --interval=10s --timeout=6s --start-period=20s --retries=3 \
    CMD ["khuyencong", "health"]

ENTRYPOINT ["khuyencong"]
CMD ["serve"]
