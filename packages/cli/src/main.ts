import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { runBenchCommand } from './commands/bench.js';
import { runConnect } from './commands/connect.js';
import { runEcho } from './commands/echo.js';
import { runServe } from './commands/serve.js';
import { runSizeCommand } from './commands/size.js';
import { runStormCommand } from './commands/storm.js';
import { runToken } from './commands/token.js';
import type { ToPrimary } from './commands/worker-ipc.js';
import { StartupError, UsageError } from './usage-error.js';

const COMMANDS: Record<string, { summary: string; run: (argv: string[]) => Promise<void> }> = {
  serve: {
    summary: 'run the real-time server (memory, Redis or NATS engine; HTTP API, demo page on :8000)',
    run: runServe,
  },
  echo: { summary: 'run a WebSocket echo server (conformance testing, proxy debugging)', run: runEcho },
  connect: { summary: 'open an interactive WebSocket client session, like wscat', run: runConnect },
  bench: {
    summary: 'load a server: N connections, C channels, R publishes/s; rates, latency, losses, server CPU',
    run: runBenchCommand,
  },
  storm: {
    summary: 'a reconnect storm: N SDK clients, a drain/cut/kill, the wave per reconnect policy (table, JSON, SVG)',
    run: runStormCommand,
  },
  size: {
    summary: 'size a fleet from measured unit costs (--measure against a local serve): every ceiling, which binds',
    run: runSizeCommand,
  },
  token: { summary: 'print an HS256 JWT for development (--secret, --sub, --ttl, --channel, --info)', run: runToken },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return (
    `Usage: switchboard <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "switchboard <command> ` +
    `--help" for a command's options, "switchboard --version" for the version.`
  );
}

/** The CLI package's version, from its package.json (next to src/ and dist/). */
function version(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** Runs one `switchboard` command; rejects with a `UsageError` for bad input, a `StartupError` when it cannot start. */
export async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return;
  }
  if (name === '--version' || name === '-v' || name === 'version' || (name in COMMANDS && rest.includes('--version'))) {
    console.log(`switchboard ${version()}`);
    return;
  }
  const command = COMMANDS[name];
  if (!command)
    throw new UsageError(
      `unknown command "${name}"`,
      `one of ${Object.keys(COMMANDS).join(', ')}; see switchboard --help`,
    );
  try {
    await command.run(rest);
  } catch (error) {
    throw fromParseArgs(error, name);
  }
}

/** node:util parseArgs' errors (ERR_PARSE_ARGS_*) as usage errors naming the flag. */
function fromParseArgs(error: unknown, command: string): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) return error;
  const message = (error as Error).message;
  // "Option '-h, --help' does not take an argument": the long form when there is one.
  const flag = /'(?:-[^-\s'], )?(--?[^'\s]+)/.exec(message)?.[1];
  const hint = `see switchboard ${command} --help`;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new UsageError(`unknown option ${flag ?? message}`, hint);
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
    return new UsageError(
      message.includes('argument missing')
        ? `${flag ?? 'an option'} needs a value`
        : `${flag ?? 'an option'} takes no value`,
      hint,
    );
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
    return new UsageError(`unexpected argument ${/'([^']*)'/.exec(message)?.[1] ?? ''}`.trim(), hint);
  return new UsageError(message.split('\n')[0], hint);
}

/** The one line, `switchboard: <what> (<how to fix it>)`, and the exit code: 2 for usage, 1 for the rest. */
function describe(error: unknown): { line: string; code: number } {
  if (error instanceof UsageError || error instanceof StartupError) {
    return {
      line: `switchboard: ${error.message}${error.hint ? ` (${error.hint})` : ''}`,
      code: error instanceof UsageError ? 2 : 1,
    };
  }
  const listen = listenFailure(error as NodeJS.ErrnoException & { port?: number; address?: string });
  if (listen) return { line: `switchboard: ${listen}`, code: 1 };
  const message = error instanceof Error ? error.message : String(error);
  return {
    line: `switchboard: internal error: ${message.split('\n')[0]} (run with SWITCHBOARD_DEBUG=1 for the stack)`,
    code: 1,
  };
}

/** A listen that failed (serve, echo), with the port and the fix; undefined for any other error. */
function listenFailure(error: NodeJS.ErrnoException & { port?: number; address?: string }): string | undefined {
  const where = `port ${error.port} on ${error.address}`;
  if (error.code === 'EADDRINUSE')
    return `${where} is already in use (stop the process that holds it, or choose another port with --port)`;
  if (error.code === 'EACCES')
    return (
      `no permission to listen on ${where} (use a port above 1023, or give node the CAP_NET_BIND_SERVICE ` +
      `capability)`
    );
  if (error.code === 'EADDRNOTAVAIL')
    return `cannot listen on ${error.address}: not an address of this machine (use --host 127.0.0.1 or 0.0.0.0)`;
  return undefined;
}

/**
 * Reports a failure and exits at once (an engine still reconnecting, or a worker's IPC channel, would keep
 * the process alive). The stack only with SWITCHBOARD_DEBUG=1. A `serve --workers` worker hands its line
 * to the primary, which prints it once for the box.
 */
export function fail(error: unknown): void {
  const { line, code } = describe(error);
  if (process.env.SWITCHBOARD_DEBUG === '1') console.error(error);
  if (cluster.isWorker && process.send) {
    process.send({ sb: 'failed', line, code } satisfies ToPrimary, () => process.exit(code));
    return;
  }
  console.error(line);
  process.exit(code);
}
