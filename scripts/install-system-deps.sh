#!/usr/bin/env bash
# Installs the Debian packages the tests need: Dovecot (IMAP + LMTP) for tests/servers.py, and
# Chromium with CJK fonts for the rendering check of the Monday digest (a screenshot a person reads),
# openssl for the STARTTLS test's self-signed certificate.
# Idempotent and quick when everything is there: apt is touched only when a package is missing,
# because `apt-get update` alone costs seconds and needs the network.
# Runs as root (CI) or through sudo; never prompts (no TTY in CI).
set -euo pipefail

PACKAGES=(dovecot-imapd dovecot-lmtpd chromium fonts-noto-cjk openssl)

missing=()
for package in "${PACKAGES[@]}"; do
  # `dpkg -s` also answers for removed-but-configured packages; check the status line says installed.
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -eq 0 ] && command -v dovecot >/dev/null 2>&1; then
  echo "install-system-deps: ${PACKAGES[*]} already installed"
  exit 0
fi
[ "${#missing[@]}" -eq 0 ] && missing=("${PACKAGES[@]}")  # dovecot binary gone: reinstall all

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-system-deps: run as root (or install sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
  SUDO=(sudo -n)
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-system-deps: installing ${missing[*]}"
"${SUDO[@]}" apt-get update -qq
# --no-install-recommends: the tests need the daemons only, not ssl-cert and friends.
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# The Debian packages enable the system service; tests run their own throw-away instance on high
# ports, so a system instance is not needed (and in containers without systemd it is not started).
command -v dovecot >/dev/null 2>&1 || { echo "install-system-deps: dovecot still missing" >&2; exit 1; }
echo "install-system-deps: done ($(dovecot --version))"
