#!/usr/bin/env bash
# Make sure the system Graphviz `dot` program exists; install it with apt-get when we can.
set -euo pipefail
if command -v dot >/dev/null 2>&1; then
    exit 0
fi
echo "Graphviz's 'dot' program is missing; installing the system package 'graphviz'."
if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
        SUDO=""
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        SUDO=""
        echo "apt-get needs root here. Run: sudo apt-get install -y graphviz   then run make again." >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq graphviz >/dev/null
elif command -v brew >/dev/null 2>&1; then
    brew install graphviz
else
    cat >&2 <<'MSG'
Cannot install Graphviz automatically on this system (no apt-get or brew).
Install it with your package manager (dnf install graphviz, pacman -S graphviz,
choco install graphviz, or https://graphviz.org/download/), make sure `dot -V`
works, then run make again.
MSG
    exit 1
fi
dot -V
