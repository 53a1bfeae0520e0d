#!/usr/bin/env bash
# Makes sure the external programs the tests drive are installed (Debian packages).
# Silent and near-instant when everything is present. When something is missing it installs
# it if it can (root + apt-get), without ever starting the packaged services; otherwise it
# exits 1 naming what is missing and the command that installs it.
set -euo pipefail

# binary:package
DEPS=(
  sipp:sip-tester
  baresip:baresip
  openssl:openssl
  redis-server:redis-server
  rtpengine:rtpengine-daemon
  # The native DSCP helper (native/sockopt) is compiled by node-gyp.
  make:make
  g++:g++
  python3:python3
)
# Packages that ship a system service the tests must not have running (they start their own).
SERVICES=(redis-server:redis-server rtpengine-daemon:rtpengine-daemon)

missing_bins=()
missing_pkgs=()
find_missing() {
  missing_bins=()
  missing_pkgs=()
  local dep bin pkg
  for dep in "${DEPS[@]}"; do
    bin=${dep%%:*}
    pkg=${dep#*:}
    # sbin dirs too: a non-login root shell may not have them on PATH.
    if ! PATH="$PATH:/usr/sbin:/sbin" command -v "$bin" >/dev/null 2>&1; then
      missing_bins+=("$bin")
      missing_pkgs+=("$pkg")
    fi
  done
}

find_missing
if [ "${#missing_bins[@]}" -eq 0 ]; then
  exit 0
fi

install_cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing_pkgs[*]}"
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  {
    echo "ensure-test-deps: missing binaries: ${missing_bins[*]}"
    echo "ensure-test-deps: from Debian packages: ${missing_pkgs[*]}"
    echo "ensure-test-deps: install them as root with:"
    echo "  $install_cmd"
  } >&2
  exit 1
fi

# policy-rc.d answering 101 tells invoke-rc.d / deb-systemd-invoke not to start services
# during the install. Only a file we created is removed afterwards.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# temporary, from sipedge scripts/ensure-test-deps.sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  created_policy=1
fi
cleanup() {
  if [ "$created_policy" = 1 ]; then rm -f "$policy"; fi
}
trap cleanup EXIT

echo "ensure-test-deps: installing ${missing_pkgs[*]} (for: ${missing_bins[*]})"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_pkgs[@]}" >/dev/null

# Belt and braces: if an installed service got started or enabled anyway, stop and disable it
# so it holds no ports and does not come back.
for entry in "${SERVICES[@]}"; do
  pkg=${entry%%:*}
  svc=${entry#*:}
  case " ${missing_pkgs[*]} " in *" $pkg "*) ;; *) continue ;; esac
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now "$svc" >/dev/null 2>&1 || true
  else
    if [ -x "/etc/init.d/$svc" ] && "/etc/init.d/$svc" status >/dev/null 2>&1; then
      "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
    fi
    if command -v update-rc.d >/dev/null 2>&1; then
      update-rc.d "$svc" disable >/dev/null 2>&1 || true
    fi
  fi
done

find_missing
if [ "${#missing_bins[@]}" -ne 0 ]; then
  echo "ensure-test-deps: still missing after install: ${missing_bins[*]} (packages: ${missing_pkgs[*]})" >&2
  exit 1
fi
echo "ensure-test-deps: ok"
