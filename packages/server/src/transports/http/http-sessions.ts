import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { HttpAnswer } from './upstream-requests.js';
import { PollTransport } from './poll-transport.js';
import type { StreamTransport } from './stream-transport.js';
import { UpstreamOrder } from './upstream-order.js';

/** The longest a poll may be held (ms); a longer `waitMs` is cut to it. */
export const MAX_POLL_WAIT_MS = 30_000;

/** Body error codes of the upstream endpoints (docs/error-codes.md, "HTTP transports"). */
export const UpstreamError = {
  BadRequest: 107,
  UnknownSession: 120,
  UnknownNode: 121,
  OwnerGone: 122,
  Timeout: 123,
  TooFarAhead: 124,
  Unavailable: 115,
} as const;

export const answer = {
  error(status: number, code: number, message: string): HttpAnswer {
    return { status, body: { error: { code, message } } };
  },
  unknownSession(): HttpAnswer {
    return answer.error(404, UpstreamError.UnknownSession, 'unknown session');
  },
};

type Emulated = StreamTransport | PollTransport;

interface Entry {
  secret: Buffer;
  transport: Emulated;
  /** Parsed upstream messages (a command, or a batch), applied in `seq` order. */
  order: UpstreamOrder<unknown>;
}

/**
 * This node's sessions of the sticky-free HTTP transports, by id, each with
 * its secret, and the two upstream operations the owning node serves (for a
 * request that arrived here or on another node): `upstream` (messages, in
 * `seq` order, each exactly once) and `poll`. A wrong secret gets the same
 * answer as an unknown id, so ids cannot be probed.
 */
export class HttpSessions {
  private readonly entries = new Map<string, Entry>();

  /** A fresh id and secret (128 bits from the CSPRNG) for a new session: `<id>.<secret>`. */
  static newToken(): { id: string; token: string } {
    const id = randomBytes(9).toString('base64url');
    return { id, token: `${id}.${randomBytes(16).toString('base64url')}` };
  }

  get size(): number {
    return this.entries.size;
  }

  add(transport: Emulated): void {
    const secret = Buffer.from(transport.sessionToken.slice(transport.sessionId.length + 1));
    this.entries.set(transport.sessionId, {
      secret,
      transport,
      order: new UpstreamOrder((message) => transport.receive(message)),
    });
  }

  remove(sessionId: string, transport: Emulated): void {
    if (this.entries.get(sessionId)?.transport === transport) this.entries.delete(sessionId);
  }

  /** One parsed message (a command, or a batch) for a session: applied in `seq` order, each once. */
  upstream(token: string, seq: number, message: unknown): HttpAnswer {
    const entry = this.find(token);
    if (!entry || entry.transport.isClosed) return answer.unknownSession();
    const outcome = entry.order.offer(seq, message);
    if (outcome === 'too-far')
      return answer.error(409, UpstreamError.TooFarAhead, `seq ${seq} is too far ahead of ${entry.order.applied}`);
    return { status: 200, body: { outcome, applied: entry.order.applied } };
  }

  /** A long-poll: the frames after `cursor` (see PollTransport.poll). */
  async poll(token: string, cursor: number, waitMs: number): Promise<HttpAnswer> {
    const entry = this.find(token);
    if (!entry || !(entry.transport instanceof PollTransport)) return answer.unknownSession();
    const result = await entry.transport.poll(cursor, Math.min(waitMs, MAX_POLL_WAIT_MS));
    if (!result) return answer.error(400, UpstreamError.BadRequest, 'cursor is ahead of the last frame sent');
    return { status: 200, body: result };
  }

  private find(token: string): Entry | undefined {
    const dot = token.indexOf('.');
    if (dot <= 0) return undefined;
    const entry = this.entries.get(token.slice(0, dot));
    const secret = Buffer.from(token.slice(dot + 1));
    if (!entry || secret.length !== entry.secret.length || !timingSafeEqual(secret, entry.secret)) return undefined;
    return entry;
  }
}
