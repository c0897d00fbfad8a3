import { WireError, type Codec } from './codec.js';
import type { Command, Method, Push, Reply } from './messages.js';

export interface JsonCodecOptions {
  /** Most commands one message may carry as a JSON array. @default 100 */
  maxBatch?: number;
}

type Json = Record<string, unknown>;
type Check = (params: Json, fail: (why: string) => never) => void;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function string(params: Json, key: string, fail: (why: string) => never, optional = false): void {
  const v = params[key];
  if (v === undefined && optional) return;
  if (typeof v !== 'string' || v.length === 0) fail(`"${key}" must be a non-empty string`);
}

function position(v: unknown, fail: (why: string) => never): void {
  if (v === undefined) return;
  if (!isObject(v) || !Number.isSafeInteger(v.offset) || (v.offset as number) < 0 || typeof v.epoch !== 'string') {
    fail('"since" must be {offset: non-negative integer, epoch: string}');
  }
}

const channel: Check = (p, fail) => string(p, 'channel', fail);

/** What each method's params must look like; anything else is a bad request. */
const CHECKS: Record<Method, Check> = {
  connect: (p, fail) => {
    string(p, 'token', fail, true);
    string(p, 'name', fail, true);
    string(p, 'version', fail, true);
    const subs = p.subs;
    if (subs !== undefined) {
      if (!isObject(subs)) return fail('"subs" must be an object of channel → {since?}');
      for (const sub of Object.values(subs)) {
        if (!isObject(sub)) return fail('"subs" values must be objects');
        position(sub.since, fail);
        string(sub, 'token', fail, true);
      }
    }
    if (p.reconnect !== undefined && typeof p.reconnect !== 'boolean') fail('"reconnect" must be a boolean');
    if (p.ping !== undefined && typeof p.ping !== 'boolean') fail('"ping" must be a boolean');
  },
  subscribe: (p, fail) => {
    channel(p, fail);
    string(p, 'token', fail, true);
    position(p.since, fail);
  },
  unsubscribe: channel,
  publish: (p, fail) => {
    channel(p, fail);
    if (!('data' in p)) fail('"data" is required');
    string(p, 'idempotencyKey', fail, true);
  },
  history: (p, fail) => {
    channel(p, fail);
    position(p.since, fail);
    if (p.limit !== undefined && !(Number.isSafeInteger(p.limit) && (p.limit as number) >= -1)) fail('"limit" must be an integer ≥ -1');
    if (p.reverse !== undefined && typeof p.reverse !== 'boolean') fail('"reverse" must be a boolean');
  },
  presence: channel,
  presence_stats: channel,
  rpc: (p, fail) => {
    string(p, 'method', fail);
    if (!('data' in p)) fail('"data" is required');
  },
  send: (p, fail) => {
    if (!('data' in p)) fail('"data" is required');
  },
  refresh: (p, fail) => string(p, 'token', fail),
  ping: () => {},
};

/**
 * The JSON codec (`switchboard.v1.json`, text frames). A message is one command
 * object or an array of them: `{"id":1,"method":"subscribe","params":{"channel":"chat:lobby"}}`.
 * See docs/protocol.md.
 */
export class JsonCodec implements Codec {
  readonly subprotocol = 'switchboard.v1.json';
  readonly binary = false;
  private readonly maxBatch: number;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private readonly encoder = new TextEncoder();

  constructor(options: JsonCodecOptions = {}) {
    this.maxBatch = options.maxBatch ?? 100;
  }

  decodeCommands(message: Uint8Array): Array<Command | WireError> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(this.decoder.decode(message));
    } catch {
      throw new WireError('message is not valid JSON');
    }
    const list = Array.isArray(parsed) ? parsed : [parsed];
    if (list.length === 0) throw new WireError('empty batch');
    if (list.length > this.maxBatch) throw new WireError(`more than ${this.maxBatch} commands in one message`);
    return list.map((item) => {
      try {
        return this.command(item);
      } catch (error) {
        return error as WireError;
      }
    });
  }

  encodeReply(reply: Reply): Uint8Array {
    return this.encoder.encode(JSON.stringify(reply));
  }

  encodePush(push: Push): Uint8Array {
    return this.encoder.encode(JSON.stringify(push));
  }

  private command(item: unknown): Command {
    if (!isObject(item)) throw new WireError('a command must be a JSON object');
    const id = Number.isSafeInteger(item.id) && (item.id as number) > 0 ? (item.id as number) : undefined;
    const fail = (why: string): never => {
      throw new WireError(why, id);
    };
    const method = item.method;
    if (typeof method !== 'string' || !Object.hasOwn(CHECKS, method)) fail(`unknown method ${JSON.stringify(method)}`);
    if (method === 'send') {
      if (item.id !== undefined) fail('"send" is fire-and-forget and takes no id');
    } else if (id === undefined) {
      fail('"id" must be a positive integer');
    }
    const params = item.params ?? {};
    if (!isObject(params)) fail('"params" must be an object');
    CHECKS[method as Method](params as Json, fail);
    return { id, method, params } as Command;
  }
}

