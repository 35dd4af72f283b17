#!/usr/bin/env bash
# Retakes the web UI screenshots in docs/ui/ (login, runs, run, workflow, locks, agents) from a real server and agent in
# headless Chromium: the web UI test that renders the main pages writes them where HEARTH_UI_SCREENSHOTS points.
# Needs Debian's chromium (test.sh installs it).
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
HEARTH_UI_SCREENSHOTS="$root/docs/ui" dotnet test "$root/tests/Hearth.EndToEnd.Tests" -c Release --blame-hang-timeout 5m \
  --filter "FullyQualifiedName~WebUiTests.The_main_pages_render_and_are_captured"
ls -l "$root/docs/ui"
