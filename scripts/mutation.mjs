// npm run mutation -- <target>: StrykerJS on one target of scripts/mutation-targets.mjs, at the lowest priority,
// one mutant at a time, incremental (mutation/<target>.incremental.json is committed, so a rerun tests only
// mutants whose code or tests changed). Extra arguments go to `stryker run` (e.g. --force for a full rerun).
import { spawnSync } from 'node:child_process';
import { TARGETS } from './mutation-targets.mjs';

const [target, ...rest] = process.argv.slice(2);
if (!target || !(target in TARGETS)) {
  console.error(`usage: npm run mutation -- <target> [stryker options]; targets: ${Object.keys(TARGETS).join(', ')}`);
  process.exit(2);
}
const run = spawnSync('nice', ['-n', '19', 'npx', 'stryker', 'run', 'stryker.config.mjs', ...rest], {
  stdio: 'inherit',
  env: { ...process.env, MUTATION_TARGET: target },
});
process.exit(run.status ?? 1);
