import type { HttpRequestHead } from '@switchboard/websocket';

export type OriginCheck = (origin: string | undefined, request: HttpRequestHead) => boolean;

/**
 * Validates `allowedOrigins`: each an exact, serialized origin such as "https://app.example" (no path, no trailing
 * slash).
 */
export function resolveAllowedOrigins(origins: unknown, option = 'allowedOrigins'): string[] | undefined {
  if (origins === undefined) return undefined;
  if (!Array.isArray(origins)) throw new TypeError(`Switchboard server: ${option} must be a list of origins`);
  origins.forEach((origin, i) => {
    if (typeof origin !== 'string' || serializedOrigin(origin) !== origin) {
      throw new TypeError(
        `Switchboard server: ${option}[${i}] must be an origin like "https://app.example", ` +
          `got ${JSON.stringify(origin)}`,
      );
    }
  });
  return [...origins];
}

/**
 * The handshake's Origin check, the defence against cross-site WebSocket
 * hijacking: a browser sends cookies with a WebSocket opened by any page, so
 * with cookie authentication a foreign page could act as the user. A request
 * without Origin is not a browser's and passes; a refused one gets HTTP 403.
 * `allowedOrigins` decides when given; otherwise, with cookie authentication,
 * only the origin of the Host header passes; otherwise there is no check.
 */
export function originCheck(
  allowedOrigins: readonly string[] | undefined,
  cookieAuth: boolean,
): OriginCheck | undefined {
  if (allowedOrigins) {
    const allowed = new Set(allowedOrigins);
    return (origin) => origin === undefined || allowed.has(origin);
  }
  if (cookieAuth) return (origin, request) => origin === undefined || sameHost(origin, request.headers.get('host'));
  return undefined;
}

/**
 * Does the Origin name the host (and port) the request was sent to? The scheme is not compared: TLS may end at a proxy.
 */
function sameHost(origin: string, host: string | undefined): boolean {
  try {
    const o = new URL(origin);
    return host !== undefined && o.origin !== 'null' && new URL(`${o.protocol}//${host}`).host === o.host;
  } catch {
    return false;
  }
}

function serializedOrigin(value: string): string | undefined {
  try {
    return new URL(value).origin;
  } catch {
    return undefined;
  }
}
