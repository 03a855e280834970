#!/usr/bin/env bash
# The main job: start a Janus on loopback and run the rxjanus demo against it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

python examples/demo.py "$@"
