#!/usr/bin/env bash
# What the health check costs: CPU time (user + sys, reaped children included) of dockerd,
# containerd and the container shims over 30 s while one emulator container idles, with
# no health check, with the image's (a bash check every second), and with a Python check
# every second. Linux, as root (it reads /proc/<pid>/stat of the Docker daemons).
#
# Usage: docker/probe-cost.sh [IMAGE]      (containers run --network host on port 18090)
set -euo pipefail
image=${1:-vendor-emulator}
tick_ms=$((1000 / $(getconf CLK_TCK)))

cpu_ticks() {
    local total=0 pid
    for pid in $(pgrep -x dockerd) $(pgrep -x containerd) $(pgrep -f containerd-shim); do
        local -a stat
        read -r -a stat <"/proc/$pid/stat" || continue
        total=$((total + stat[13] + stat[14] + stat[15] + stat[16]))
    done
    echo "$total"
}

cost() {
    docker run -d --name probe-cost --network host "$@" "$image" --port 18090 >/dev/null
    sleep 5
    local before after
    before=$(cpu_ticks)
    sleep 30
    after=$(cpu_ticks)
    docker rm -f -v probe-cost >/dev/null  # -v: the anonymous /data volume too
    echo "$(((after - before) * tick_ms)) ms"
}

echo "load: $(uptime)"
echo "no health check:                        $(cost --no-healthcheck) of CPU in 30 s"
echo "the image's (bash, every 1 s):          $(cost) of CPU in 30 s"
echo "vendor-emulator health (Python), 1 s:   $(cost --health-cmd 'vendor-emulator health' \
    --health-interval 1s) of CPU in 30 s"
