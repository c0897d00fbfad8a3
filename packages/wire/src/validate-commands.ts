import { WireError } from './codec.js';
import type { Command, Method } from './messages.js';

type Fields = Record<string, unknown>;
type Check = (params: Fields, fail: (why: string) => never) => void;

export const isObject = (v: unknown): v is Fields =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

function string(params: Fields, key: string, fail: (why: string) => never, optional = false): void {
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
    if (p.limit !== undefined && !(Number.isSafeInteger(p.limit) && (p.limit as number) >= -1))
      fail('"limit" must be an integer ≥ -1');
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
 * A decoded message (one command object, or an array of them) → its commands,
 * the same rules in every codec. A bad message throws WireError; a bad command
 * comes back as a WireError in its place.
 */
export function validateCommands(decoded: unknown, maxBatch: number): Array<Command | WireError> {
  const list = Array.isArray(decoded) ? decoded : [decoded];
  if (list.length === 0) throw new WireError('empty batch');
  if (list.length > maxBatch) throw new WireError(`more than ${maxBatch} commands in one message`);
  return list.map((item) => {
    try {
      return command(item);
    } catch (error) {
      return error as WireError;
    }
  });
}

function command(item: unknown): Command {
  if (!isObject(item)) throw new WireError('a command must be an object');
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
  CHECKS[method as Method](params as Fields, fail);
  return { id, method, params } as Command;
}
