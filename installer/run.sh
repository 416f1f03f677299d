#!/usr/bin/env bash
# README command 1's last step: opens Prism Studio on the bundled model when a display is
# available; on a machine without one (a server, CI) says so and runs the same job through
# the CLI instead: a story from the bundled model.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${PRISM_BUILD_DIR:-build/release}
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
    exec "$build/app/prism-studio" "$@"
fi
echo "run: no display (DISPLAY / WAYLAND_DISPLAY unset): running the CLI main job instead" >&2
exec "$build/app/prism" generate --prompt "Once upon a time" -n 200
