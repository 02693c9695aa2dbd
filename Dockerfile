# vendor-emulator as a CI sidecar:
#   docker build -t vendor-emulator .
#   docker run -d -p 8080:8080 -v emulator-data:/data vendor-emulator --state-file /data/state.db
# docs/docker.md has the whole story (health check, volume, CI example, measured figures).
#
# Build arguments:
#   BASE_IMAGE  a Debian-based CPython 3.11+ image (default: the official slim image;
#               machines without Docker Hub can build from a local stand-in)
#   EXTRAS      optional dependency groups to install; the default "validate" adds
#               jsonschema-rs (~15 MB) so EMULATOR_VALIDATE_RESPONSES=1 works in the
#               container. --build-arg EXTRAS= leaves it out.
#   VERSION, REVISION, CREATED, SOURCE   values of the OCI labels (version, commit,
#               build time, repository URL)
ARG BASE_IMAGE=python:3.12-slim

# ---------------------------------------------------------------------------- build
FROM ${BASE_IMAGE} AS build
# binutils for strip(1): uvloop's extension alone carries 12 MB of symbols.
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends binutils \
    && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
ARG EXTRAS=validate
# The dependencies first, from pyproject.toml alone, so a change to the code reuses
# this layer. --no-compile: bytecode is compiled once below, after the pruning.
COPY pyproject.toml ./
RUN python3 -c 'import sys, tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; \
        extras = [e for e in sys.argv[1].split(",") if e]; \
        print("\n".join(p["dependencies"] + [d for e in extras for d in p["optional-dependencies"][e]]))' \
        "${EXTRAS}" > requirements.txt \
    && pip install --no-compile -r requirements.txt
COPY README.md ./
COPY emulator ./emulator
RUN pip install --no-compile --no-deps .
# Only what runs stays: no installer (pip, setuptools, wheel); no test suites (numpy's
# test-only extension modules included), type stubs, C/Cython sources, headers or
# static libraries; none of numpy's build tools (distutils, f2py), nor its polynomial
# package (loaded only on first use, which nothing here makes); no pydantic.v1 (the
# 1.x API); none of redis-py's Redis Stack modules (JSON, search, time series, Bloom,
# vector sets: imported only inside the methods that use them, which the emulator
# never calls); no install records (*.dist-info/RECORD: only pip reads them); no
# second time-zone database when the base image has the system one
# (zoneinfo reads /usr/share/zoneinfo first); no debug symbols - except in the
# libraries wheels vendor under *.libs/, whose segments patchelf moved: strip breaks
# them ("ELF load command address/offset not page-aligned"). Then bytecode for all
# that is left, as "unchecked-hash" pycs: no start compiles anything (the app user
# could not write a cache here anyway). The smoke test fails the build if the pruning
# broke a dependency.
COPY docker/smoke.py ./docker/
RUN pip uninstall -q -y pip setuptools wheel 2>/dev/null; \
    site=$(/opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') \
    && rm -rf /opt/venv/bin/pip* /opt/venv/bin/activate* /opt/venv/bin/Activate.ps1 \
        /opt/venv/bin/f2py /opt/venv/bin/numpy-config \
        "$site"/numpy/distutils "$site"/numpy/f2py "$site"/numpy/_core/include \
        "$site"/numpy/_core/lib "$site"/numpy/random/lib "$site"/numpy/random/_examples \
        "$site"/numpy/_core/_simd.* "$site"/numpy/_core/_*_tests.* "$site"/numpy/polynomial \
        "$site"/pydantic/v1 \
        "$site"/redis/commands/json "$site"/redis/commands/search \
        "$site"/redis/commands/timeseries "$site"/redis/commands/bf \
        "$site"/redis/commands/vectorset "$site"/*.dist-info/RECORD \
    && if [ -f /usr/share/zoneinfo/UTC ]; then rm -rf "$site"/tzdata "$site"/tzdata-*; fi \
    && find "$site" -depth -type d \( -name tests -o -name __pycache__ \) -exec rm -rf {} + \
    && find "$site" -type f \( -name '*.pyi' -o -name '*.pxd' -o -name '*.pyx' -o -name '*.a' \
        -o -name '*.c' -o -name '*.cpp' -o -name '*.h' -o -name CMakeLists.txt \) -delete \
    && find "$site" -name '*.so' -not -path '*.libs/*' -exec strip --strip-unneeded {} + \
    && /opt/venv/bin/python -m compileall -q -j 0 --invalidation-mode unchecked-hash "$site" \
    && /opt/venv/bin/python docker/smoke.py

# ---------------------------------------------------------------------------- runtime
FROM ${BASE_IMAGE}
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
# The repository's URL (e.g. in GitHub Actions: ${{ github.server_url }}/${{ github.repository }}).
ARG SOURCE=
LABEL org.opencontainers.image.title="vendor-emulator" \
      org.opencontainers.image.description="A local, deterministic emulator of the Asleep sleep-tracking API and the Kintsugi Voice API" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="MIT"
# /data belongs to the app user, so a named volume mounted there (Docker fills a new
# one from the image, owner included) takes `--state-file /data/state.db`.
RUN (getent group 10001 >/dev/null || groupadd --system --gid 10001 emulator) \
    && (getent passwd 10001 >/dev/null || useradd --system --uid 10001 --gid 10001 \
        --no-create-home --home-dir /data --shell /usr/sbin/nologin emulator) \
    && mkdir -p /data && chown 10001:10001 /data && chmod 0750 /data
COPY --from=build /opt/venv /opt/venv
COPY docker/healthcheck /usr/local/bin/emulator-healthcheck
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    EMULATOR_HOST=0.0.0.0 \
    EMULATOR_PORT=8080 \
    EMULATOR_ADDRESS_FILE=/tmp/vendor-emulator.address
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
# Healthy about 1 s after `docker run`. Docker's first check comes one --interval after
# the start; `--start-interval` (a short interval only while starting) needs Docker
# Engine 25+ and the legacy builder rejects it, so the interval itself is 1 s, with a
# check that costs a few ms of CPU (bash, no Python) and that waits for a server still
# starting instead of failing. On Engine 25+ relax it per container: docs/docker.md.
HEALTHCHECK --interval=1s --timeout=3s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/emulator-healthcheck"]
ENTRYPOINT ["vendor-emulator"]
CMD ["serve"]
