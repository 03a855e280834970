#!/usr/bin/env bash
# Installs everything rxjanus needs on a fresh Debian machine: Janus and a C compiler from
# apt (only when missing), then a virtualenv in .venv with rxjanus and its dev extras.
# Sourced by scripts/demo.sh and scripts/test.sh.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

missing=()
command -v janus >/dev/null 2>&1 || missing+=(janus)
command -v gcc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
[ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)  # the MQTT broker of the MQTT transport tests
[ -x /usr/sbin/rabbitmq-server ] || missing+=(rabbitmq-server)  # the broker of the RabbitMQ tests
# Headless Chromium with Meetecho's janus.js and adapter.js: the browser interop tests.
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -f /usr/share/javascript/janus-gateway/janus.js ] || missing+=(libjs-janus-gateway)
[ -f /usr/share/javascript/webrtc-adapter/adapter.js ] || missing+=(libjs-webrtc-adapter)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} with apt" >&2
  sudo_cmd=()
  [ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]' 2>&1 \
  | grep -v -e "^WARNING: Location" -e "^$" >&2 || true
.venv/bin/python -c "import rxjanus, aiortc" || { echo "setup: install failed" >&2; exit 1; }
export PATH="$root/.venv/bin:$PATH"
