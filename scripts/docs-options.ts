// Generates docs/operations.md's option tables from the schema (serve-options.ts, which extends the
// server's server-options-schema.ts), between `<!-- options:NAME:start -->` and `<!-- options:NAME:end -->`.
//   node --conditions=@switchboard/source --import tsx scripts/docs-options.ts          rewrites the file
//   node --conditions=@switchboard/source --import tsx scripts/docs-options.ts --check  exits 1 when it differs
// test/docs-options.test.ts fails when the file and the schema differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SERVER_OPTION_PROPERTIES } from '@switchboard/server';
import { SERVE_OPTIONS, SERVER_KEYS, type ServeOptionSchema } from '../packages/cli/src/commands/serve-options.js';

export const OPERATIONS_MD = fileURLToPath(new URL('../docs/operations.md', import.meta.url));

const code = (text: string) => `\`${text}\``;
const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
const row = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
const joinOr = (items: string[]) =>
  items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;

function defaultCell(schema: ServeOptionSchema): string {
  if (schema.defaultText !== undefined) return schema.defaultText;
  if (typeof schema.default === 'string') return code(schema.default);
  return schema.default === undefined
    ? 'none'
    : code(
        JSON.stringify(schema.default)
          .replace(/,"/g, ', "')
          .replace(/^\{/, '{ ')
          .replace(/\}$/, ' }')
          .replace(/":/g, '": '),
      );
}

const text = (schema: ServeOptionSchema) => [schema.description, schema.details].filter(Boolean).join(' ');

/** How an environment variable's text is written for this type. */
function envFormat(schema: ServeOptionSchema): string {
  const limits =
    schema.minimum !== undefined && schema.maximum !== undefined
      ? `, ${schema.minimum}–${schema.maximum}`
      : schema.minimum === 1
        ? ', at least 1'
        : '';
  if (schema.type === 'integer') return `digits${limits}`;
  if (schema.type === 'boolean') return '`true`, `false`, `1` or `0`';
  if (schema.type === 'array') return 'comma-separated';
  if (schema.anyOf) return joinOr((schema.anyOf as ServeOptionSchema[]).map((s) => code(String(s.const))));
  return schema.minLength ? `string, at least ${schema.minLength} characters` : 'string';
}

const serveEntries = () => Object.entries(SERVE_OPTIONS) as [string, ServeOptionSchema][];
const flagOf = (s: ServeOptionSchema) => (s.flag ? code(`--${s.flag}${s.arg ? ` ${s.arg}` : ''}`) : '');

/** Each region's generated Markdown, by name. */
export function renderOptionRegions(): Record<string, string> {
  const serve = serveEntries().filter(([key, s]) => !SERVER_KEYS.has(key) || s.flag || s.env);
  const server = Object.entries(SERVER_OPTION_PROPERTIES) as [string, ServeOptionSchema][];
  const serveOf = (key: string) => serveEntries().find(([k]) => k === key && key !== 'engine')?.[1];
  return {
    serve: [
      row(['Key', 'Flag', 'Environment', 'Default', '']),
      '|---|---|---|---|---|',
      ...serve.map(([key, s]) =>
        row([
          s.noFile ? '(none)' : code(key),
          flagOf(s),
          s.env ? code(s.env) : '',
          defaultCell(s),
          `${text(s)}${s.type === 'array' ? ' A list: the flag repeated, the variable comma-separated.' : ''}`,
        ]),
      ),
    ].join('\n'),
    env: [
      row(['Variable', 'Sets', 'Format']),
      '|---|---|---|',
      ...serveEntries()
        .filter(([, s]) => s.env)
        .map(([key, s]) => row([code(s.env!), key === 'jwtSecret' ? '`jwt.secret`' : code(key), envFormat(s)])),
    ].join('\n'),
    server: [
      row(['Option', 'Default', '']),
      '|---|---|---|',
      ...server.map(([key, s]) => {
        const cli = serveOf(key);
        const where = s.embedOnly
          ? ' Embedding only.'
          : cli && (cli.flag || cli.env)
            ? ` In \`serve\`: ${[flagOf(cli), cli.env && code(cli.env)].filter(Boolean).join(', ')}.`
            : '';
        return row([code(key), defaultCell(s), `${text(s)}${where}`]);
      }),
    ].join('\n'),
  };
}

/** `markdown` with every region replaced by its generated text; throws on a region missing from it. */
export function applyOptionRegions(markdown: string, regions = renderOptionRegions()): string {
  let out = markdown;
  for (const [name, body] of Object.entries(regions)) {
    const start = `<!-- options:${name}:start -->`;
    const end = `<!-- options:${name}:end -->`;
    const a = out.indexOf(start);
    const b = out.indexOf(end);
    if (a < 0 || b < a) throw new Error(`docs/operations.md has no ${start} … ${end} region`);
    out = `${out.slice(0, a + start.length)}\n${body}\n${out.slice(b)}`;
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const before = readFileSync(OPERATIONS_MD, 'utf8');
  const after = applyOptionRegions(before);
  if (process.argv.includes('--check')) {
    if (before !== after) {
      console.error('docs/operations.md: the option tables differ from the schema; run npm run docs:options');
      process.exit(1);
    }
  } else if (before !== after) {
    writeFileSync(OPERATIONS_MD, after);
    console.log('docs/operations.md: option tables regenerated');
  } else console.log('docs/operations.md: option tables up to date');
}
