#!/usr/bin/env bash
# Figures for docs/docker.md: the image's size over its base, and for each of RUNS fresh
# containers with a state file on a new named volume, the time from `docker run` to the
# first 200 of /_emulator/health and to Docker's "healthy". Then the state survives a
# restart on the same volume.
#
# Usage: docker/measure.sh [IMAGE] [BASE_IMAGE] [RUNS]
#        defaults: vendor-emulator, local/python-base:bookworm, 5
# Runs containers with --network host on port $PORT (default 18080). Each poll (curl, then
# docker inspect) takes some tens of ms, so the figures are that coarse.
set -euo pipefail
image=${1:-vendor-emulator}
base=${2:-local/python-base:bookworm}
runs=${3:-5}
port=${PORT:-18080}
url=http://127.0.0.1:$port

ms() { local t=${EPOCHREALTIME//[!0-9]/}; echo $((10#$t / 1000)); }
size() { docker image inspect -f '{{.Size}}' "$1"; }
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$@" || true; }

image_bytes=$(size "$image")
base_bytes=$(size "$base")
printf 'image %s: %d bytes; base %s: %d bytes; over the base: %d bytes (%.1f MB)\n' \
    "$image" "$image_bytes" "$base" "$base_bytes" $((image_bytes - base_bytes)) \
    "$(awk "BEGIN { print ($image_bytes - $base_bytes) / 1000000 }")"
echo "load: $(uptime)"

cleanup() { docker rm -f "$name" >/dev/null 2>&1 || true; docker volume rm "$volume" >/dev/null 2>&1 || true; }
for run in $(seq "$runs"); do
    name=emulator-measure-$$-$run volume=emulator-measure-$$-$run
    trap cleanup EXIT
    docker volume create "$volume" >/dev/null
    start=$(ms)
    docker run -d --name "$name" --network host -v "$volume:/data" "$image" \
        --port "$port" --state-file /data/state.db >/dev/null
    first_200="" healthy=""
    while [[ -z $healthy ]]; do
        if [[ -z $first_200 && $(status "$url/_emulator/health") == 200 ]]; then
            first_200=$(($(ms) - start))
        fi
        case $(docker inspect -f '{{.State.Health.Status}}' "$name") in
            healthy) healthy=$(($(ms) - start)) ;;
            unhealthy) echo "run $run: unhealthy" >&2; docker logs "$name" >&2; exit 1 ;;
        esac
        if (($(ms) - start > 30000)); then echo "run $run: not healthy after 30 s" >&2; exit 1; fi
    done
    [[ -n $first_200 ]] || first_200=$healthy  # healthy implies a 200 already answered
    echo "run $run: docker run -> first 200 ${first_200} ms, -> healthy ${healthy} ms"
    if ((run == runs)); then
        # The state file lives on the volume: a user made before a restart is there after it.
        user=$(curl -fsS -X POST -H 'x-api-key: measure' -H 'content-type: application/json' \
            -d '{}' "$url/ai/v1/users" | sed -n 's/.*"user_id":"\([^"]*\)".*/\1/p')
        docker restart "$name" >/dev/null
        until [[ $(status "$url/_emulator/health") == 200 ]]; do sleep 0.05; done
        code=$(status -H 'x-api-key: measure' "$url/ai/v1/users/$user")
        echo "state on volume $volume: user $user made before a restart, GET after it: $code"
        docker exec "$name" ls -ln /data
    fi
    cleanup
    trap - EXIT
done
