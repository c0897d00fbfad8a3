import { SERVE_OPTIONS, type ServeOptionSchema } from './serve-options.js';

const INTRO = `Usage: switchboard serve [options]

Runs the real-time server: WebSocket clients on /connection/websocket, the HTTP
API on /api/*, /health, /metrics, the dashboard on /admin and the demo page on /.
With the embedded memory engine (the default) it is one node; with --engine redis
(or nats), every node on the same Redis (or NATS) is one cluster, and any node
accepts any connection. Every option below is also a config-file key (--config),
as are the server options of docs/operations.md#server-options.`;

const WIDTH = 100;
const COLUMN = 24;

/** A default as `--help` shows it: the schema's value, or its text without Markdown. */
function defaultText(schema: ServeOptionSchema): string | undefined {
  if (schema.defaultText !== undefined) return schema.defaultText.replaceAll('`', '');
  return schema.default === undefined ? undefined : JSON.stringify(schema.default).replace(/^"(.*)"$/, '$1');
}

/** Words wrapped at WIDTH, every line but the first indented to COLUMN. */
function wrap(first: string, text: string): string {
  const lines: string[] = [];
  let line = first.length >= COLUMN - 1 ? `${first}\n${' '.repeat(COLUMN)}` : first.padEnd(COLUMN);
  let start = line.length - line.lastIndexOf('\n') - 1;
  for (const word of text.split(' ')) {
    if (start + word.length > WIDTH && start > COLUMN) {
      lines.push(line.trimEnd());
      line = ' '.repeat(COLUMN);
      start = COLUMN;
    }
    line += `${word} `;
    start += word.length + 1;
  }
  lines.push(line.trimEnd());
  return lines.join('\n');
}

/** `serve --help`, from the schema: every flag with its description and default, then every variable. */
export function renderServeHelp(): string {
  const options = Object.entries(SERVE_OPTIONS) as [string, ServeOptionSchema][];
  const flags = options
    .filter(([, s]) => s.flag)
    .map(([, s]) => {
      const fallback = s.negates ? undefined : defaultText(s);
      const plain = s.description.replaceAll('`', '');
      return wrap(
        `  --${s.flag}${s.arg ? ` ${s.arg}` : ''}${s.type === 'array' ? ' …' : ''}`,
        `${plain}${fallback ? ` (default ${fallback})` : ''}${s.type === 'array' ? ' Repeatable.' : ''}`,
      );
    });
  const env = options
    .filter(([, s]) => s.env)
    .map(([key, s]) => `  ${s.env!.padEnd(30)} ${key}${s.type === 'array' ? ' (comma-separated)' : ''}`);
  return `${INTRO}

Options:
${flags.join('\n')}
  -h, --help            show this help
  --version             print the version

Environment (overrides the config file; flags override both; empty is unset):
${env.join('\n')}`;
}
