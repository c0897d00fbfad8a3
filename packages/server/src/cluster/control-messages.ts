import type { ControlMessage } from '@switchboard/engine';
import type { ClientInfo } from '@switchboard/wire';

/** What a node tells the others about itself (the `info` API). */
export interface NodeInfo {
  nodeId: string;
  name: string;
  connections: number;
  users: number;
  channels: number;
  uptimeMs: number;
}

/** Questions every node answers over the bus. */
export type SurveyOp = 'channels' | 'stats';

/** The commands nodes send each other, by type. */
export interface ControlPayloads {
  /** A presence change, for every node's subscribers of the channel. */
  join: { channel: string; info: ClientInfo };
  leave: { channel: string; info: ClientInfo };
  /** Joins and leaves of one window (namespace `joinLeaveWindowMs`), for every node's subscribers. */
  presence: { channel: string; joins: ClientInfo[]; leaves: ClientInfo[] };
  /** A channel's subscription count changed on the sender: nodes with subscribers of it read it again. */
  count: { channel: string };
  /** User-directed commands: every node acts on its own sessions of the user. */
  disconnect: { userId: string; code: number; reason: string };
  unsubscribe: { userId: string; channel: string; code: number; reason: string };
  /** Server-side subscription of the user's connections (the API's `subscribe`), recovering from `since` when given. */
  subscribe: { userId: string; channel: string; since?: { offset: number; epoch: string } };
  /** New credential expiry for the user's connections (the API's `refresh`); `client` narrows it to one connection. */
  refresh: { userId: string; client?: string; expiresAt?: number };
  message: { userId: string; data: unknown };
  /** Node discovery: each node announces itself, and answers a newcomer at once. */
  node: NodeInfo;
  survey: { id: string; op: SurveyOp };
  /** Sent to one node: start your staggered drain (the dashboard's "drain" on another node). */
  drain: { code: number; batchSize: number; intervalMs: number; reconnectWindowMs: number };
  'survey-reply': { id: string; answer: unknown };
}

export type ControlType = keyof ControlPayloads;

/** A control message whose payload was checked against its type. */
export type ControlCommand = {
  [T in ControlType]: { type: T; from: string; payload: ControlPayloads[T] };
}[ControlType];

type Shape = Record<string, 'string' | 'number' | 'object' | 'any'>;

const CLIENT_INFO: Shape = { clientId: 'string', userId: 'string' };

/** The fields each type needs, with their types (`any`: present, of any type). */
const SHAPES: { [T in ControlType]: Shape } = {
  join: { channel: 'string', info: 'object' },
  leave: { channel: 'string', info: 'object' },
  presence: { channel: 'string', joins: 'object', leaves: 'object' },
  count: { channel: 'string' },
  subscribe: { userId: 'string', channel: 'string' },
  refresh: { userId: 'string' },
  disconnect: { userId: 'string', code: 'number', reason: 'string' },
  unsubscribe: { userId: 'string', channel: 'string', code: 'number', reason: 'string' },
  message: { userId: 'string', data: 'any' },
  node: {
    nodeId: 'string',
    name: 'string',
    connections: 'number',
    users: 'number',
    channels: 'number',
    uptimeMs: 'number',
  },
  survey: { id: 'string', op: 'string' },
  drain: { code: 'number', batchSize: 'number', intervalMs: 'number', reconnectWindowMs: 'number' },
  'survey-reply': { id: 'string', answer: 'any' },
};

function fits(value: unknown, shape: Shape): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return Object.entries(shape).every(
    ([key, type]) =>
      Object.hasOwn(record, key) && (type === 'any' || typeof record[key] === type) && record[key] !== null,
  );
}

/**
 * Checks a message from the bus. Other nodes may run another version, so an
 * unknown type or a payload of the wrong shape is refused (logged and
 * ignored), never cast.
 */
export function isControlCommand(message: ControlMessage): message is ControlCommand {
  const shape: Shape | undefined = Object.hasOwn(SHAPES, message.type)
    ? SHAPES[message.type as ControlType]
    : undefined;
  if (!shape || !fits(message.payload, shape)) return false;
  if (message.type === 'presence') {
    const { joins, leaves } = message.payload as { joins: unknown; leaves: unknown };
    return (
      Array.isArray(joins) && Array.isArray(leaves) && [...joins, ...leaves].every((info) => fits(info, CLIENT_INFO))
    );
  }
  return !(message.type === 'join' || message.type === 'leave') || fits(message.payload.info, CLIENT_INFO);
}
