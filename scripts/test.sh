#!/usr/bin/env bash
# Runs every test. Installs the system peers the tests use (Chromium, Python
# websockets) when they are missing, and starts Redis and NATS when they do not
# answer, so that one command works on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-test-deps.sh

# Build first so CLI tests run the real bin; tests import sources via the "@switchboard/source" condition.
npx tsc -b

# No import cycles in any package's sources (type-only imports count too).
npx dpdm --no-warning --no-tree --no-progress --exit-code circular:1 'packages/*/src/**/*.ts'
# None between the folders of a package either (a folder, or a file directly in src/, is one unit).
node scripts/check-folder-cycles.mjs

# Formatting, lint rules, lines of at most 120 characters and unused code; `npm run format` fixes most of it.
npm run --silent lint

files=(packages/*/test/*.test.ts test/*.test.ts)
# A test that hangs fails after 10 minutes instead of holding the whole run.
status=0
node --conditions=@switchboard/source --import tsx --test --test-concurrency=1 --test-timeout=600000 "$@" "${files[@]}" || status=$?

# The unit, property, end-to-end and interop tests again on the other supported Node majors.
bash scripts/test-node-versions.sh "$@" || status=$?
exit "$status"
