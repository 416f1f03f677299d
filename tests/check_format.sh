#!/usr/bin/env bash
# Fails when a tracked C++ source differs from what .clang-format asks for (STYLE.md §14).
# Skips (exit 77) outside a git checkout or without clang-format.
set -u
cd "$1" || exit 1
command -v clang-format >/dev/null || { echo "clang-format not installed"; exit 77; }
files=$(git ls-files '*.cpp' '*.h' 2>/dev/null) || { echo "not a git checkout"; exit 77; }
[ -n "$files" ] || exit 77
# shellcheck disable=SC2086
clang-format --dry-run --Werror $files
