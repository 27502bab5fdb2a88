# The one image of WeBrana Cloud: the `webrana` binary, which runs any service
# (`webrana serve <service>`), its migrations, seeds and the simulators.
# Build: docker build -t webrana .

FROM rust:1.95-bookworm AS build
WORKDIR /src
# aws-lc-sys (JWT signing, TLS) compiles C and wants cmake on some targets.
RUN apt-get update && apt-get install -y --no-install-recommends cmake clang && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cargo build --release --locked -p webrana

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin webrana
COPY --from=build /src/target/release/webrana /usr/local/bin/webrana
USER webrana
# Inside a container the service must listen on every interface; ports come from PORT.
ENV WEBRANA_HOST=0.0.0.0 APP_ENV=production
# glibc: allocations of 1 MiB and more are mmapped and returned to the system on free. Auth's
# argon2id blocks (19 MiB) otherwise stay in per-thread heaps for good (bench/README.md, journey).
ENV MALLOC_MMAP_THRESHOLD_=1048576
ENTRYPOINT ["webrana"]
CMD ["--help"]
