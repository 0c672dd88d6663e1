# trustcoach in a container: Debian 12, built in one stage, run from the
# project's own .deb in a second, as an unprivileged user, with the SQLite
# data folder as a volume.
#   docker build -t trustcoach .
#   docker run -d --name trustcoach -p 127.0.0.1:8080:8080 \
#     -v trustcoach-data:/var/lib/trustcoach trustcoach
#   docker kill -s HUP trustcoach     # reload the dialogs, reopen log files
# Settings: TRUSTCOACH_* environment variables (`trustcoach serve --help`),
# e.g. -e TRUSTCOACH_ALLOWED_ORIGIN=https://www.example.org; they override
# /etc/trustcoach/trustcoach.conf.

FROM debian:12-slim AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      g++ cmake make pkg-config dpkg-dev file \
      libre2-dev nlohmann-json3-dev libcpp-httplib-dev libsqlite3-dev \
      libssl-dev libjemalloc-dev libhiredis-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DTRUSTCOACH_BUILD_TESTS=OFF \
 && cmake --build /build -j "$(nproc)" \
 && cd /build && cpack -B /packages \
 && /build/bin/trustcoach lint /src/dialogs

FROM debian:12-slim
COPY --from=build /packages/trustcoach_*.deb /tmp/
# apt installs the runtime libraries the package depends on.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends /tmp/trustcoach_*.deb \
 && rm -rf /var/lib/apt/lists/* /tmp/trustcoach_*.deb \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/trustcoach \
      --shell /usr/sbin/nologin trustcoach \
 && install -d -o trustcoach -g trustcoach -m 0700 /var/lib/trustcoach
USER 10001:10001
WORKDIR /var/lib/trustcoach
VOLUME ["/var/lib/trustcoach"]
ENV TRUSTCOACH_HOST=0.0.0.0
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/trustcoach"]
CMD ["serve", "--config", "/etc/trustcoach/trustcoach.conf"]
