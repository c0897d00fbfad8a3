/**
 * A pluggable logger (pino's shape fits). The server is silent unless given one.
 * Levels: connection-level events at `debug`; refusals, slow consumers, drains
 * and engine or backend trouble at `info` or `warn`; failures of ours at
 * `error`. No field ever holds a token, cookie or API key.
 */
export interface Logger {
  /** Optional: loggers without it get no connection-level lines. */
  debug?(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
