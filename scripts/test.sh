#!/usr/bin/env bash
# The whole test suite: lint, types, then every test against a real Janus the tests start.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

echo "== ruff"
ruff check .
echo "== mypy --strict"
mypy --strict rxjanus
echo "== pytest (asyncio debug mode; warnings are errors, see pyproject.toml)"
PYTHONASYNCIODEBUG=1 python -m pytest -p no:cacheprovider "$@"
