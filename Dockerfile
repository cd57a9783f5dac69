# wsgate as a container image (the release workflow publishes it):
#
#   docker build -t wsgate .
#   docker run --rm -v "$PWD:/work" wsgate run specs/chat.yaml --out out
#   docker run --rm wsgate run /usr/share/doc/wsgate/examples/chat.yaml --serve
#
# The build stage makes the .deb exactly as `./setup.sh package` does; the
# runtime stage installs the .deb's Depends (packaging/runtime-packages.txt)
# and its Recommends (ca-certificates, for wss:// targets) and nothing else,
# then the .deb itself (dpkg refuses it if a dependency is missing), and runs
# as an unprivileged user. tests/unit/ci/test_packaging.c checks both lists
# agree.

FROM debian:bookworm AS build
WORKDIR /src
COPY . .
# setup.sh installs its build packages with apt-get, builds and runs CPack.
RUN ./setup.sh package && cp dist/wsgate_*_amd64.deb /tmp/wsgate.deb

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates \
      libc6 \
      libcjson1 \
      libcyaml1 \
      libev4 \
      libssl3 \
      libwebsockets17 \
      libwebsockets-evlib-ev \
      libxml2 \
      libyaml-0-2 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /tmp/wsgate.deb /tmp/wsgate.deb
# The slim image leaves out /usr/share/doc; keep wsgate's example specs.
RUN dpkg -i --path-include='/usr/share/doc/wsgate/*' /tmp/wsgate.deb \
 && rm /tmp/wsgate.deb \
 && wsgate --version \
 && useradd --system --uid 10001 --user-group --create-home --home-dir /home/wsgate wsgate \
 && mkdir /work && chown wsgate:wsgate /work
# A numeric user, so Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["wsgate"]
CMD ["--help"]
