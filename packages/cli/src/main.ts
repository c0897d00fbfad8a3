import { runBenchCommand } from './commands/bench.js';
import { runConnect } from './commands/connect.js';
import { runEcho } from './commands/echo.js';
import { runServe } from './commands/serve.js';
import { runSizeCommand } from './commands/size.js';
import { runStormCommand } from './commands/storm.js';
import { runToken } from './commands/token.js';
import { UsageError } from './usage-error.js';

const COMMANDS: Record<string, { summary: string; run: (argv: string[]) => Promise<void> }> = {
  serve: { summary: 'run the real-time server (memory or Redis engine, HTTP API, demo page on :8000)', run: runServe },
  echo: { summary: 'run a WebSocket echo server (conformance testing, proxy debugging)', run: runEcho },
  connect: { summary: 'open an interactive WebSocket client session, like wscat', run: runConnect },
  bench: { summary: 'load a server: N connections, C channels, R publishes/s; rates, latency, losses, server CPU', run: runBenchCommand },
  storm: { summary: 'a reconnect storm: N SDK clients, a drain/cut/kill, the wave per reconnect policy (table, JSON, SVG)', run: runStormCommand },
  size: { summary: 'size a fleet from measured unit costs (--measure against a local serve): every ceiling, which binds', run: runSizeCommand },
  token: { summary: 'print an HS256 JWT for development (--secret, --sub, --ttl, --channel, --info)', run: runToken },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `Usage: switchboard <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "switchboard <command> --help" for a command's options.`;
}

/** Runs one `switchboard` command; rejects with a `UsageError` for bad input, a `StartupError` when it cannot start. */
export async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return;
  }
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command "${name}"\n\n${usage()}`);
  await command.run(rest);
}
