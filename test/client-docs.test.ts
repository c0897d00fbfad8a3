// The quick starts of docs/client.md run as written: the Node block with tsx against `switchboard serve`, the
// browser block as a module on the server's own page in Chromium. Only the Node block's address is changed.
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { launchChromium } from './helpers/chromium.js';
import { startServe, stopChild } from './helpers/process.js';

const DOC = readFileSync(new URL('../docs/client.md', import.meta.url), 'utf8');

/** The first fenced block of `lang` after `heading`. */
function block(heading: string, lang: string): string {
  const from = DOC.indexOf(heading);
  assert.ok(from >= 0, `docs/client.md has "${heading}"`);
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(DOC.slice(from));
  assert.ok(m, `a ${lang} block after "${heading}"`);
  return m[1];
}

describe('docs/client.md quick starts', { timeout: 90_000 }, () => {
  let serve: ChildProcess;
  let base: string;
  before(async () => {
    ({ child: serve, base } = await startServe(['--port', '0']));
  });
  after(() => stopChild(serve));

  it('runs the Node quick start', () => {
    const code = block('## Quick start (Node)', 'ts').replace('ws://127.0.0.1:8000', base.replace('http:', 'ws:'));
    mkdirSync('test-output', { recursive: true });
    writeFileSync('test-output/docs-quickstart.ts', code);
    const run = spawnSync(
      process.execPath,
      ['--conditions=@switchboard/source', '--import', 'tsx', 'test-output/docs-quickstart.ts'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^#\d+ node: hello from Node$/m);
    console.log(`# node quick start printed: ${run.stdout.trim()}`);
  });

  it('runs the browser quick start in Chromium', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const printed: string[] = [];
      page.on('console', (m) => printed.push(m.text()));
      page.on('pageerror', (e) => printed.push(`error: ${e.message}`));
      await page.goto(`${base}/`);
      await page.addScriptTag({ type: 'module', content: block('## Quick start (browser)', 'js') });
      for (let i = 0; i < 100 && !printed.some((l) => l.includes('hello from the page')); i++)
        await page.waitForTimeout(50);
      assert.ok(
        printed.some((l) => /^#\d+ browser: hello from the page$/.test(l)),
        printed.join('\n'),
      );
      console.log(`# browser quick start printed: ${printed.find((l) => l.includes('hello from the page'))}`);
    } finally {
      await browser.close();
    }
  });
});
