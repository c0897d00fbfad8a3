// The hand-written source files that the formatter, the linter and the line-length check cover: the same globs
// as `files.includes` in biome.jsonc. Listed through git, so that git-ignored output (dist/, node_modules/) never
// counts, while new files that are not committed yet do.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const SOURCE_GLOBS = [
  'packages/*/src/**/*.ts',
  'packages/*/test/**/*.ts',
  'packages/cli/admin/*.js',
  'packages/cli/bin/*.js',
  'test/**/*.ts',
  'bench/**/*.ts',
  'scripts/**/*.ts',
  'scripts/**/*.mjs',
  'scripts/**/*.js',
  'examples/**/*.ts',
  'examples/**/*.mjs',
  'examples/**/*.js',
];

/** Repository-relative paths, sorted; `paths` (files or folders) narrows the list when given. */
export function sourceFiles(root, paths = []) {
  const specs = SOURCE_GLOBS.map((glob) => `:(glob)${glob}`);
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z', '--', ...specs], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  // --cached still lists a file deleted from the work tree but not from the index.
  const files = [...new Set(out.split('\0'))].filter((f) => f && existsSync(join(root, f))).sort();
  if (paths.length === 0) return files;
  const wanted = paths.map((p) => p.replace(/^\.\//, '').replace(/\/$/, ''));
  return files.filter((f) => wanted.some((p) => f === p || f.startsWith(`${p}/`)));
}
