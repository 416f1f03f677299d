#!/usr/bin/env bash
# README command 1's last step: opens Prism Studio on the bundled model when a display is
# available; on a machine without one (a server, CI) says so and runs the same job through
# the CLI instead: a story from the bundled model. prism-studio exits 2 when it finds no
# display it can reach (also when DISPLAY names one that is not there).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
build=${PRISM_BUILD_DIR:-build/release}
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
    "$build/app/prism-studio" "$@"
    status=$?
    [ "$status" -ne 2 ] && exit "$status"
fi
echo "run: no display: running the CLI main job instead" >&2
exec "$build/app/prism" generate --prompt "Once upon a time" -n 200
