import { pino, type Level, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';
import type { Logger } from '@switchboard/server';
import { UsageError } from '../usage-error.js';

export const LOG_LEVELS: readonly LevelWithSilent[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
export type LogFormat = 'json' | 'pretty';

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

/** `--log-level` / SWITCHBOARD_LOG_LEVEL, checked. */
export function parseLogLevel(value: string | undefined): LevelWithSilent {
  const level = (value ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new UsageError(`log level must be one of ${LOG_LEVELS.join(', ')}, got "${value}"`);
  return level as LevelWithSilent;
}

/** `--log-format`: JSON lines by default, readable lines on a TTY. */
export function parseLogFormat(value: string | undefined, isTTY: boolean): LogFormat {
  if (value === undefined) return isTTY ? 'pretty' : 'json';
  if (value !== 'json' && value !== 'pretty') throw new UsageError(`--log-format must be json or pretty, got "${value}"`);
  return value;
}

/**
 * serve's logger: pino, one JSON object per line with `level`, `time`, `node`
 * and `msg`, or pino-pretty's readable lines (synchronous, no worker thread).
 */
export function serveLogger(options: ServeLogOptions): Logger & { level: string; flush(): void } {
  // Synchronous writes to fd 1: nothing is lost when the process exits right after a line.
  const destination = options.destination ?? pino.destination({ dest: 1, sync: true });
  const colorize = options.destination === undefined && process.stdout.isTTY === true;
  const stream = options.format === 'pretty' ? pretty({ sync: true, destination, colorize, ignore: 'pid,hostname' }) : destination;
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
