// StrykerJS for `npm run mutation -- <target>` (scripts/mutation.mjs sets MUTATION_TARGET). Not part of npm test or
// CI: on 2 cores a target takes minutes to an hour. Results: docs/reliability.md#mutation-testing.
import { TARGETS } from './scripts/mutation-targets.mjs';

// Unset (a bare `npx stryker run`, or a tool reading this file): protocol.
const name = process.env.MUTATION_TARGET ?? 'protocol';
const target = TARGETS[name];
if (!target) throw new Error(`MUTATION_TARGET must be one of ${Object.keys(TARGETS).join(', ')}`);

export default {
  testRunner: 'tap',
  tap: {
    testFiles: target.tests,
    nodeArgs: ['--conditions=@switchboard/source', '--import', 'tsx', '--import', './scripts/mutation-resolve.mjs', '--test-reporter=tap', '-r', '{{hookFile}}', '{{testFile}}'],
  },
  checkers: ['typescript'],
  tsconfigFile: target.tsconfig,
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: target.mutate,
  coverageAnalysis: 'perTest',
  concurrency: 1,
  incremental: true,
  incrementalFile: `mutation/${name}.incremental.json`,
  reporters: ['clear-text', 'progress-append-only', 'json'],
  jsonReporter: { fileName: `mutation/reports/${name}.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  timeoutMS: 20_000,
  timeoutFactor: 2,
  ignorePatterns: ['test-output', 'bench/results', 'mutation', '**/dist', '**/*.tsbuildinfo'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
