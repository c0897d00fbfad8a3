import { ErrorCode, HandshakeError } from '../errors.js';
import type { AcceptedExtension, Extension, ExtensionParam } from '../extension.js';

export type { ExtensionParam };

/** One element of a Sec-WebSocket-Extensions header. */
export interface ExtensionOffer {
  name: string;
  params: ExtensionParam[];
}

/** Parses a Sec-WebSocket-Extensions value (RFC 6455 §9.1 grammar, quoted values allowed). Throws 400 on bad syntax. */
export function parseExtensionHeader(value: string | undefined): ExtensionOffer[] {
  if (value === undefined) return [];
  const out: ExtensionOffer[] = [];
  let i = 0;
  const fail = (): never => {
    throw new HandshakeError(ErrorCode.InvalidExtensions, 400, 'malformed Sec-WebSocket-Extensions header');
  };
  const skipSpace = () => {
    while (value[i] === ' ' || value[i] === '\t') i++;
  };
  const token = (): string => {
    const start = i;
    while (i < value.length && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(value[i])) i++;
    if (i === start) fail();
    return value.slice(start, i);
  };
  while (true) {
    skipSpace();
    if (i >= value.length) break;
    const offer: ExtensionOffer = { name: token(), params: [] };
    skipSpace();
    while (value[i] === ';') {
      i++;
      skipSpace();
      const name = token();
      skipSpace();
      let paramValue: string | true = true;
      if (value[i] === '=') {
        i++;
        skipSpace();
        if (value[i] === '"') {
          i++;
          let quoted = '';
          while (i < value.length && value[i] !== '"') {
            if (value[i] === '\\') i++;
            quoted += value[i++] ?? '';
          }
          if (value[i] !== '"') fail();
          i++;
          // §9.1: a quoted value must still be a token once unquoted.
          if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(quoted)) fail();
          paramValue = quoted;
        } else {
          paramValue = token();
        }
        skipSpace();
      }
      offer.params.push({ name, value: paramValue });
    }
    out.push(offer);
    if (i >= value.length) break;
    if (value[i] !== ',') fail();
    i++;
  }
  return out;
}

export function formatExtension(offer: ExtensionOffer): string {
  return [offer.name, ...offer.params.map((p) => (p.value === true ? p.name : `${p.name}=${p.value}`))].join('; ');
}

/**
 * Server side of extension negotiation. The handshake groups the client's
 * offers by name and calls the negotiator for its name, in the order the
 * negotiators are configured.
 */
export interface ServerExtensionNegotiator {
  readonly name: string;
  /**
   * `offers` are the client's parameter lists for this extension, in the
   * client's order of preference. Returns the response parameters and the
   * connection's extension instance for the first acceptable one, or null to
   * decline the extension.
   */
  negotiate(offers: ExtensionParam[][]): AcceptedExtension | null;
}

/** Client side of extension negotiation. */
export interface ClientExtensionNegotiator {
  readonly name: string;
  /** The parameter lists to offer, most preferred first. */
  offer(): ExtensionParam[][];
  /**
   * Checks the server's answer against what was offered and returns the connection's extension; throws HandshakeError
   * if it is not acceptable.
   */
  accept(params: ExtensionParam[]): Extension;
}
