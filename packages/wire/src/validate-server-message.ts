import { WireError, WireErrorCode } from './codec.js';
import type { ServerMessage } from './messages.js';
import { isObject } from './validate-commands.js';

/**
 * A decoded message from the server → its reply or push. Only the envelope is
 * checked (the server is trusted for the rest, and the check stays small in the
 * browser bundle): an object with a positive integer `id` (a reply) or a string
 * `push`. Client code ignores pushes of kinds it does not know.
 */
export function validateServerMessage(decoded: unknown): ServerMessage {
  if (
    isObject(decoded) &&
    ((Number.isSafeInteger(decoded.id) && (decoded.id as number) > 0) ||
      (decoded.id === undefined && typeof decoded.push === 'string'))
  ) {
    return decoded as ServerMessage;
  }
  throw new WireError(
    'a server message must be a reply {id, result | error} or a push {push, …}',
    undefined,
    WireErrorCode.MalformedMessage,
  );
}
