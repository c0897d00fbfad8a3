// What `npm run mutation -- <target>` mutates, the tests that must notice, and the tsconfig the checker uses.
import { readdirSync } from 'node:fs';

// sans-io.test.ts reads the sources' text for Node imports and globals, which Stryker's instrumentation adds.
const testsOf = (dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.test.ts') && f !== 'sans-io.test.ts')
    .map((f) => `${dir}/${f}`);
const server = (folders, tests) => ({
  mutate: folders.map((f) => `packages/server/src/${f}`),
  tests,
  tsconfig: 'packages/server/tsconfig.json',
});

export const TARGETS = {
  protocol: {
    mutate: ['packages/protocol/src/**/*.ts'],
    tests: testsOf('packages/protocol/test'),
    tsconfig: 'packages/protocol/tsconfig.json',
  },
  wire: {
    mutate: ['packages/wire/src/**/*.ts'],
    tests: testsOf('packages/wire/test'),
    tsconfig: 'packages/wire/tsconfig.json',
  },
  'engine-memory': {
    mutate: ['packages/engine-memory/src/**/*.ts'],
    tests: testsOf('packages/engine-memory/test'),
    tsconfig: 'packages/engine-memory/tsconfig.json',
  },
  channels: server(['channels/**/*.ts'], [...testsOf('packages/server/test'), 'test/channel-service.test.ts']),
  sessions: server(
    ['sessions/**/*.ts'],
    [...testsOf('packages/server/test'), 'test/slow-consumer.test.ts', 'test/heartbeat.test.ts'],
  ),
  auth: server(
    ['auth/**/*.ts'],
    [
      ...testsOf('packages/server/test'),
      'test/auth-jwt.test.ts',
      'test/auth-credentials.test.ts',
      'test/client-auth.test.ts',
    ],
  ),
  proxy: server(['proxy/**/*.ts'], [...testsOf('packages/server/test'), 'test/backend-proxy.test.ts']),
  'http-order': server(
    ['transports/http/upstream-order.ts', 'transports/http/poll-outbox.ts'],
    [...testsOf('packages/server/test'), 'test/http-upstream-fuzz.property.test.ts', 'test/http-transports.test.ts'],
  ),
};
