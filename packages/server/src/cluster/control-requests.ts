import type { ControlMessage } from '@switchboard/engine';
import type { HttpAnswer, UpstreamRequests } from '../transports/http/upstream-requests.js';

/**
 * The requests one node makes of another over the control bus
 * (`ControlBus.request`), by type, with their payloads; each is answered with
 * an `HttpAnswer`. Today: the sticky-free HTTP transports' upstream requests,
 * forwarded to the node that owns their session (`transports/http/upstream-requests.ts`).
 */
export type ControlRequests = UpstreamRequests;
export type ControlRequestType = keyof ControlRequests;
export type ControlAnswer = HttpAnswer;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What each request's payload must look like on arrival: another node may run another version, so nothing is cast
 * unchecked.
 */
const CHECKS: { [T in ControlRequestType]: (payload: Record<string, unknown>) => boolean } = {
  'http-commands': (p) => typeof p.session === 'string' && Number.isSafeInteger(p.seq) && 'message' in p,
  'http-poll': (p) => typeof p.session === 'string' && Number.isSafeInteger(p.cursor) && Number.isSafeInteger(p.waitMs),
};

/** Checks a request from the bus against the catalogue. */
export function isControlRequest(message: ControlMessage): message is ControlMessage & { type: ControlRequestType } {
  return (
    Object.hasOwn(CHECKS, message.type) &&
    isRecord(message.payload) &&
    CHECKS[message.type as ControlRequestType](message.payload)
  );
}

/** Checks an answer from another node: every request of the catalogue answers an `HttpAnswer`. */
export function isAnswer(value: unknown): value is ControlAnswer {
  return isRecord(value) && typeof value.status === 'number';
}
