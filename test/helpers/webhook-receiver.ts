// A real HTTP webhook receiver for tests: every request is verified with the `standardwebhooks`
// package (never with Switchboard's own code), and its events kept in arrival order.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

export type ReceivedEvent = { id: string; type: string; key: string; time: number; node: string; [field: string]: any };

/** How the receiver answers one request: a status, or `hang` (never answers: a timeout for the sender). */
export type Answer = number | 'hang';

export interface WebhookReceiver {
  url: string;
  secret: string;
  /** Every verified event, in arrival order, duplicates included. */
  readonly events: ReceivedEvent[];
  /** Requests received, and the most that were open at once. */
  readonly stats: { requests: number; maxConcurrent: number; rejected: number };
  /** Each answer waits this long (a slow receiver). */
  delayMs: number;
  /** Decides each answer (default 200). */
  answer: (req: { events: ReceivedEvent[] }) => Answer;
  /** Closes the port (connections refused) until `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  /** Resolves once `predicate(events)` holds. */
  until(predicate: (events: ReceivedEvent[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

export async function startReceiver(secret = newSecret()): Promise<WebhookReceiver> {
  const verifier = new Webhook(secret);
  const events: ReceivedEvent[] = [];
  const stats = { requests: 0, maxConcurrent: 0, rejected: 0 };
  let open = 0;
  const hanging = new Set<ServerResponse>();
  let server: Server;
  let port = 0;
  const receiver: WebhookReceiver = {
    url: '',
    secret,
    events,
    stats,
    answer: () => 200,
    delayMs: 0,
    async down() {
      for (const res of hanging) res.destroy();
      hanging.clear();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
    async up() {
      await listen();
    },
    async until(predicate, timeoutMs = 20_000) {
      const end = Date.now() + timeoutMs;
      while (!predicate(events)) {
        if (Date.now() > end)
          throw new Error(
            `receiver: condition not met within ${timeoutMs} ms; ${events.length} events: ${events
              .map((e) => e.type)
              .join(',')
              .slice(0, 500)}`,
          );
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      stats.requests++;
      open++;
      stats.maxConcurrent = Math.max(stats.maxConcurrent, open);
      res.on('close', () => open--);
      const body = Buffer.concat(chunks).toString();
      let parsed: { events: ReceivedEvent[] };
      try {
        parsed = verifier.verify(body, req.headers as Record<string, string>) as { events: ReceivedEvent[] };
      } catch {
        stats.rejected++;
        return res.writeHead(400).end();
      }
      const answer = receiver.answer(parsed);
      if (answer === 'hang') return void hanging.add(res);
      const respond = () => {
        if (answer >= 200 && answer < 300) events.push(...parsed.events);
        res.writeHead(answer).end();
      };
      if (receiver.delayMs > 0) setTimeout(respond, receiver.delayMs);
      else respond();
    });
  };
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer(handle);
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as AddressInfo).port;
        receiver.url = `http://127.0.0.1:${port}/hook`;
        resolve();
      });
    });
  await listen();
  return receiver;
}

/** The events of `key` (a channel, or `user:U`), in arrival order, without duplicates (by id). */
export function ofKey(events: readonly ReceivedEvent[], key: string): ReceivedEvent[] {
  const seen = new Set<string>();
  return events.filter((e) => e.key === key && !seen.has(e.id) && seen.add(e.id));
}

/** Emitted vs received: delivered (unique ids), duplicates, and ids never received. */
export function tally(emitted: readonly { id: string }[], received: readonly ReceivedEvent[]) {
  const got = new Map<string, number>();
  for (const e of received) got.set(e.id, (got.get(e.id) ?? 0) + 1);
  const lost = emitted.filter((e) => !got.has(e.id)).length;
  const duplicates = [...got.values()].reduce((n, c) => n + c - 1, 0);
  return { emitted: emitted.length, delivered: got.size, duplicates, lost };
}
