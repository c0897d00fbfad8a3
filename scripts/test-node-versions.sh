#!/usr/bin/env bash
# Runs the tests that tell whether Switchboard works on a Node version on the other
# supported majors (22 and 24; the machine's Node runs the whole suite in test.sh):
# every package's unit and property tests, and a set of end-to-end and interop tests
# over real sockets. Each Node comes from the npm registry's `node` package through
# npx, downloaded once into npm's cache (~/.npm/_npx) and reused offline after that.
#
#   SWITCHBOARD_TEST_NODE_VERSIONS="22 24"   the majors to run (default); "" skips this
#
# Extra arguments go to `node --test`, as in test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

versions=${SWITCHBOARD_TEST_NODE_VERSIONS-22 24}

# End to end and interop, chosen to cover every transport (WebSocket, HTTP streaming, SSE,
# long-polling), the SDK's reconnect and recovery, fan-out, bad input, compression, and the
# real peers (`ws`, Python websockets, Chromium) within CI's time budget (docs/client.md#node-versions).
e2e=(
  test/interop-ws.test.ts
  test/interop-ws-deflate.test.ts
  test/interop-python.test.ts
  test/interop-chromium.test.ts
  test/realtime-fanout.test.ts
  test/realtime-recovery.test.ts
  test/realtime-features.test.ts
  test/client-sdk.test.ts
  test/client-transports.test.ts
  test/client-node-globals.test.ts
  test/http-transports.test.ts
  test/bad-input.test.ts
  test/binary-data.test.ts
)
files=(packages/*/test/*.test.ts "${e2e[@]}")

status=0
summary=()
times=""
for major in $versions; do
  # The binary itself, so that the tests' children (process.execPath, or `node` on PATH) run on it too.
  bin=$(npx --yes --prefer-offline --package "node@$major" -- node -p process.execPath)
  version=$("$bin" --version)
  echo
  echo "==================== Node $version (node@$major from the npm registry): unit, property, end-to-end and interop tests (${#files[@]} files) ===================="
  log=$(mktemp)
  started=$SECONDS
  rc=0
  # A test that hangs fails after 3 minutes (the slowest here takes seconds), so one hang costs CI 3 minutes, not 10.
  PATH="$(dirname "$bin"):$PATH" "$bin" --conditions=@switchboard/source --import tsx --test --test-reporter=tap \
    --test-concurrency=1 --test-timeout=180000 "$@" "${files[@]}" | tee "$log" || rc=$?
  pass=$(grep -E '^# pass [0-9]+$' "$log" | tail -1 | cut -d' ' -f3)
  fail=$(grep -E '^# fail [0-9]+$' "$log" | tail -1 | cut -d' ' -f3)
  rm -f "$log"
  times+="${times:+, }$version: $((SECONDS - started)) s"
  summary+=("node$major: ${pass:-0} passed, ${fail:-0} failed")
  [ "$rc" -eq 0 ] || status=$rc
done

if [ ${#summary[@]} -gt 0 ]; then
  echo
  echo "==================== Node versions ($times) ===================="
  printf '%s\n' "${summary[@]}"
fi
exit "$status"
