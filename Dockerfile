# vendor-emulator as a CI sidecar:  docker run --rm -p 8080:8080 vendor-emulator
# BASE_IMAGE lets machines without Docker Hub build from a local stand-in
# (see ../shared/tools/make-base-image.sh); everyone else gets the official image.
ARG BASE_IMAGE=python:3.12-slim

FROM ${BASE_IMAGE} AS build
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY emulator ./emulator
RUN pip install . \
    && find /opt/venv -name '__pycache__' -prune -exec rm -rf {} + \
    && python3 -m compileall -q /opt/venv/lib

FROM ${BASE_IMAGE}
COPY --from=build /opt/venv /opt/venv
RUN (getent passwd emulator >/dev/null || useradd --system --uid 10001 --no-create-home emulator) \
    && mkdir -p /var/lib/vendor-emulator && chown 10001 /var/lib/vendor-emulator
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    EMULATOR_HOST=0.0.0.0 \
    EMULATOR_PORT=8080 \
    EMULATOR_ADDRESS_FILE=/tmp/vendor-emulator.address
USER 10001
WORKDIR /var/lib/vendor-emulator
EXPOSE 8080
# No curl in the image: the emulator's own CLI asks /_emulator/health on the address it
# wrote at start-up, so the check follows a --port given on the command line.
HEALTHCHECK --interval=2s --timeout=3s --start-period=1s --retries=3 \
    CMD ["vendor-emulator", "health"]
ENTRYPOINT ["vendor-emulator"]
CMD ["serve"]
