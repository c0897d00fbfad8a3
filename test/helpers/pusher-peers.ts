import { setTimeout as sleep } from 'node:timers/promises';
import PusherServer from 'pusher';
import Pusher from 'pusher-js';
import { WebSocket } from 'ws';
import { createServer, type ServerOptions, type SwitchboardServer } from '@switchboard/server';

export const APP = { id: 'app1', key: 'app1-key', secret: 'app1-secret-0123456789' };
/** The master key of end-to-end encrypted channels, known to the backend (the SDK) only. */
export const MASTER_KEY = Buffer.alloc(32, 7).toString('base64');
export const OTHER_APP = { id: 'app2', key: 'app2-key', secret: 'app2-secret-0123456789' };

/** A node on port 0 serving APP and OTHER_APP (client events on in APP). */
export async function startPusherNode(
  options: ServerOptions = {},
): Promise<{ server: SwitchboardServer; port: number }> {
  const server = createServer({ pusher: { apps: [{ ...APP, clientEvents: true }, OTHER_APP] }, ...options });
  const { port } = await server.listen(0);
  return { server, port };
}

/** The `pusher` server SDK pointed at the node: the oracle for auth signatures and REST signing. */
export function sdk(port: number, app: { id: string; key: string; secret: string } = APP): PusherServer {
  return new PusherServer({
    appId: app.id,
    key: app.key,
    secret: app.secret,
    host: '127.0.0.1',
    port: String(port),
    useTLS: false,
    encryptionMasterKeyBase64: MASTER_KEY,
  });
}

/**
 * A pusher-js client on the node; private and presence channels are authorized by the SDK's
 * `authorizeChannel` (as an application backend would), with `user` as presence channel_data.
 */
export function pusherClient(
  port: number,
  options: {
    user?: { user_id: string; user_info?: unknown };
    app?: typeof APP;
    signin?: { id: string; watchlist?: string[] };
  } = {},
): Pusher {
  const app = options.app ?? APP;
  const backend = sdk(port, app);
  return new Pusher(app.key, {
    cluster: 'local',
    wsHost: '127.0.0.1',
    wsPort: port,
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
    channelAuthorization: {
      customHandler: ({ socketId, channelName }, callback) => {
        callback(
          null,
          backend.authorizeChannel(
            socketId,
            channelName,
            channelName.startsWith('presence-') ? options.user : undefined,
          ) as never,
        );
      },
    } as never,
    userAuthentication: {
      customHandler: ({ socketId }, callback) =>
        callback(null, backend.authenticateUser(socketId, options.signin ?? { id: 'nobody' }) as never),
    } as never,
  });
}

export function connected(client: Pusher): Promise<string> {
  return new Promise((resolve, reject) => {
    if (client.connection.state === 'connected') return resolve(client.connection.socket_id);
    client.connection.bind('connected', () => resolve(client.connection.socket_id));
    client.connection.bind('failed', () => reject(new Error('pusher-js failed')));
  });
}

/**
 * Resolves with the channel once `pusher:subscription_succeeded` came (with its data); rejects on
 * `pusher:subscription_error`.
 */
export function subscribed(
  client: Pusher,
  name: string,
): Promise<{ channel: ReturnType<Pusher['subscribe']>; data: unknown }> {
  const channel = client.subscribe(name);
  return new Promise((resolve, reject) => {
    channel.bind('pusher:subscription_succeeded', (data: unknown) => resolve({ channel, data }));
    channel.bind('pusher:subscription_error', (error: unknown) =>
      reject(Object.assign(new Error('subscription_error'), { data: error })),
    );
  });
}

/** The next `event` on `channel` (its data), or a rejection after `ms`. */
export function nextEvent(
  channel: { bind(e: string, f: (d: unknown, meta?: unknown) => void): void; unbind(e: string, f?: unknown): void },
  event: string,
  ms = 5000,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    const listener = (data: unknown) => {
      clearTimeout(timer);
      channel.unbind(event, listener);
      resolve(data);
    };
    channel.bind(event, listener);
  });
}

/** Collects every `event` on `channel`. */
export function collect(channel: { bind(e: string, f: (d: unknown) => void): void }, event: string): unknown[] {
  const seen: unknown[] = [];
  channel.bind(event, (d: unknown) => seen.push(d));
  return seen;
}

export async function until(check: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A raw WebSocket peer speaking Pusher frames, for what pusher-js will not send (forged frames, silence). */
export async function rawPusher(
  port: number,
  path: string,
  options: { autoPong?: boolean } = {},
): Promise<{
  ws: WebSocket;
  frames: { event: string; channel?: string; data?: unknown }[];
  closed: Promise<number>;
  send(frame: unknown): void;
  next(event: string, ms?: number): Promise<{ event: string; channel?: string; data?: unknown }>;
}> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { autoPong: options.autoPong ?? true });
  const frames: { event: string; channel?: string; data?: unknown }[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (data) => {
    const frame = JSON.parse(String(data)) as { event: string; data?: unknown };
    if (typeof frame.data === 'string') {
      try {
        frame.data = JSON.parse(frame.data);
      } catch {}
    }
    frames.push(frame);
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = async (event: string, ms = 5000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = frames.find((f) => f.event === event);
      if (found) {
        frames.splice(frames.indexOf(found), 1);
        return found;
      }
      if (Date.now() > deadline) throw new Error(`no ${event}; got ${JSON.stringify(frames)}`);
      await Promise.race([new Promise<void>((r) => waiters.push(r)), sleep(50)]);
    }
  };
  return { ws, frames, closed, send: (frame) => ws.send(JSON.stringify(frame)), next };
}
