#!/usr/bin/env bash
# Make sure Debian's headless browser for the explorer tests exists: the `chromium` and
# `chromium-driver` packages (the tests pass the driver's path to selenium, so
# selenium-manager never downloads a browser or a driver of its own). Installs them
# with apt-get when we can, as ensure-graphviz.sh does for Graphviz.
set -euo pipefail
have() { command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; }
if have; then
    exit 0
fi
echo "Chromium or its driver is missing; installing the system packages 'chromium' and 'chromium-driver'."
if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
        SUDO=""
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "apt-get needs root here. Run: sudo apt-get install -y chromium chromium-driver   then run make again." >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
else
    cat >&2 <<'MSG'
Cannot install Chromium automatically on this system (no apt-get). The browser tests
of the explorer pages need a Chromium (or Chrome) and the matching chromedriver on
PATH: install them with your package manager (dnf install chromium chromedriver,
pacman -S chromium, brew install --cask chromium chromedriver), check that
`chromium --version` and `chromedriver --version` work, then run make again.
MSG
    exit 1
fi
chromium --version
chromedriver --version
