import { pino, type Level, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';
import type { Logger } from '@switchboard/server';

type LogFormat = 'json' | 'pretty';

/**
 * Field paths whose values never reach a log line, whatever the level: the
 * server never puts credentials in its fields, and this is the second line of
 * defence for any that a hook, an error or a future change might add.
 */
const REDACT = [
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'cookie',
  '*.cookie',
  'authorization',
  '*.authorization',
  'headers.cookie',
  'headers.authorization',
  'headers["set-cookie"]',
  '*.headers.cookie',
  '*.headers.authorization',
];

export interface ServeLogOptions {
  level: LevelWithSilent;
  format: LogFormat;
  nodeId: string;
  /** Where lines go. @default stdout */
  destination?: NodeJS.WritableStream;
}

/**
 * serve's logger: pino, one JSON object per line with `level`, `time`, `node`
 * and `msg`, or pino-pretty's readable lines (synchronous, no worker thread).
 */
export function serveLogger(options: ServeLogOptions): Logger & { level: string; flush(): void } {
  // Synchronous writes to fd 1: nothing is lost when the process exits right after a line.
  const destination = options.destination ?? pino.destination({ dest: 1, sync: true });
  const colorize = options.destination === undefined && process.stdout.isTTY === true;
  const stream =
    options.format === 'pretty' ? pretty({ sync: true, destination, colorize, ignore: 'pid,hostname' }) : destination;
  const logger = pino(
    {
      level: options.level as Level,
      base: { node: options.nodeId },
      // "level":"warn" rather than 40: what log pipelines and people grep for.
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT, censor: '[redacted]' },
    },
    stream,
  );
  // The server skips its connection-level lines (and building their fields) when `debug` is absent.
  if (!logger.isLevelEnabled('debug')) (logger as { debug?: unknown }).debug = undefined;
  return logger;
}
