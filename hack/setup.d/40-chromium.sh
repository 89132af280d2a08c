#!/usr/bin/env bash
# Installs Debian's chromium for the HTML report test (report/html_chromium_test.go)
# and tells the tests where it is. Idempotent: does nothing when chromium is
# already installed.
set -euo pipefail
bin=/usr/bin/chromium
if [ ! -x "$bin" ]; then
  echo "chromium: installing the Debian package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
else
  echo "chromium: installed"
fi
if [ -n "${PINLINE_TEST_ENV:-}" ]; then
  echo "PINLINE_CHROMIUM=$bin" >> "$PINLINE_TEST_ENV"
fi
