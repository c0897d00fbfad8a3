import { EngineUnavailableError, type EngineLog } from '@switchboard/engine';
import {
  jetstream,
  JetStreamApiError,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';

export interface LinkOptions {
  servers: string[];
  /** A command without an answer in this time fails with 115 (temporary). */
  commandTimeoutMs: number;
  /** Start-up fails if no server answers in this time. */
  connectTimeoutMs: number;
  log?: EngineLog;
}

/** How long interest takes to reach a cluster's other servers, generously (loopback: well under 10 ms). */
const ROUTE_PROPAGATION_MS = 100;

/** JetStream answers meaning "not now" (no leader, cluster busy), which a retry can fix: the rest are real refusals. */
const TEMPORARY_API_STATUS = new Set([408, 503]);

/**
 * One NATS connection shared by a node's broker, presence store and control bus.
 * It reconnects forever; while it is down every command fails fast with
 * EngineUnavailableError instead of waiting in the client's reconnect buffer, since
 * a publish sent late could land after the caller gave up (and retried).
 */
export class NatsLink {
  private up = true;
  private readonly reconnectListeners: (() => void)[] = [];

  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    /** The server's version, as it announced itself at connect. */
    readonly serverVersion: string,
    private readonly options: LinkOptions,
  ) {
    void this.watch();
  }

  static async connect(options: LinkOptions): Promise<NatsLink> {
    const where = options.servers.map(redactNatsUrl).join(', ');
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: options.servers,
        timeout: options.connectTimeoutMs,
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        reconnectJitter: 100,
        pingInterval: 5000,
        maxPingOut: 2,
        name: 'switchboard',
      });
    } catch (error) {
      throw new EngineUnavailableError(`nats ${where}: ${(error as Error).message}`, { cause: error });
    }
    try {
      const jsm = await jetstreamManager(nc, { timeout: options.commandTimeoutMs });
      await jsm.getAccountInfo();
      return new NatsLink(
        nc,
        jetstream(nc, { timeout: options.commandTimeoutMs }),
        jsm,
        nc.info?.version ?? 'unknown',
        options,
      );
    } catch (error) {
      await nc.close().catch(() => {});
      throw new EngineUnavailableError(
        `nats ${where}: JetStream is not enabled or not answering (${(error as Error).message})`,
        { cause: error },
      );
    }
  }

  get commandTimeoutMs(): number {
    return this.options.commandTimeoutMs;
  }

  /** Called after the link came back (the client has restored core subscriptions by then). */
  onReconnect(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  /** Runs a command, failing fast while the link is down; a lost or silent link becomes EngineUnavailableError. */
  async run<T>(what: string, command: () => Promise<T>): Promise<T> {
    if (!this.up || this.nc.isClosed()) throw new EngineUnavailableError(`nats: link down (${what})`);
    try {
      return await command();
    } catch (error) {
      throw this.asEngineError(error, what);
    }
  }

  /** JetStream's refusals stay as they are; anything else (timeouts, no responders, a dropped link) is temporary. */
  asEngineError(error: unknown, what: string): unknown {
    if (error instanceof EngineUnavailableError) return error;
    if (error instanceof JetStreamApiError && !TEMPORARY_API_STATUS.has(error.status)) return error;
    return new EngineUnavailableError(`nats (${what}): ${(error as Error).message}`, { cause: error });
  }

  /**
   * After a subscription change is flushed, our server has it; the other servers of a cluster learn
   * it over routes a moment later (messages published through them meanwhile miss it). Waits for
   * that on a clustered server; returns at once on a single one.
   */
  async settleRoutes(): Promise<void> {
    if (this.nc.info?.cluster) await new Promise((r) => setTimeout(r, ROUTE_PROPAGATION_MS));
  }

  async close(): Promise<void> {
    this.up = false;
    await this.nc.close().catch(() => {});
  }

  private async watch(): Promise<void> {
    const log = this.options.log;
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect') {
        if (this.up) log?.warn({ server: redactNatsUrl(status.server) }, 'nats connection lost; reconnecting');
        this.up = false;
      } else if (status.type === 'reconnect') {
        this.up = true;
        log?.info({ server: redactNatsUrl(status.server) }, 'nats connection restored');
        for (const listener of this.reconnectListeners) listener();
      }
    }
  }
}

/** A NATS URL fit for logs and banners: the user and password (or token) are hidden. */
export function redactNatsUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//[redacted]@');
}
