// docs/operations.md's option tables are generated from the schema (scripts/docs-options.ts): this
// fails when the file and the schema differ, e.g. an option added to the schema and not to the docs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SERVER_OPTION_PROPERTIES } from '@switchboard/server';
import { SERVE_OPTIONS } from '../packages/cli/src/commands/serve-options.js';
import { OPERATIONS_MD, applyOptionRegions, renderOptionRegions } from '../scripts/docs-options.js';

describe('docs/operations.md and the option schema', () => {
  const markdown = readFileSync(OPERATIONS_MD, 'utf8');

  it('has every generated table as the schema gives it (regenerate: npm run docs:options)', () => {
    const regions = renderOptionRegions();
    for (const [name, body] of Object.entries(regions)) {
      const found = markdown.slice(
        markdown.indexOf(`<!-- options:${name}:start -->`),
        markdown.indexOf(`<!-- options:${name}:end -->`),
      );
      const missing = body.split('\n').filter((line) => !found.includes(line));
      const extra = found
        .split('\n')
        .slice(1, -1)
        .filter((line) => line && !body.includes(line));
      assert.deepEqual(
        { region: name, missing, extra },
        { region: name, missing: [], extra: [] },
        'run npm run docs:options',
      );
    }
    assert.equal(applyOptionRegions(markdown, regions), markdown, 'run npm run docs:options');
  });

  it('documents every server option and every serve variable', () => {
    for (const key of Object.keys(SERVER_OPTION_PROPERTIES))
      assert.match(markdown, new RegExp(`^\\| \`${key}\` \\|`, 'm'), key);
    for (const s of Object.values(SERVE_OPTIONS) as { env?: string }[])
      if (s.env) assert.match(markdown, new RegExp(`^\\| \`${s.env}\` \\|`, 'm'), s.env);
  });
});
