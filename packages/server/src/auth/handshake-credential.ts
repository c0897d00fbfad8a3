import type { IncomingHttpHeaders } from 'node:http';

/** Where a token may travel besides the `connect` command: a cookie, or the WebSocket URL's query. */
export interface HandshakeCredentialSources {
  cookie: string | undefined;
  queryParam: string | undefined;
}

/** The token the opening handshake carried, cookie first; `undefined` when neither source is configured or present. */
export function handshakeCredential(
  request: { headers: IncomingHttpHeaders; url: string },
  sources: HandshakeCredentialSources,
): string | undefined {
  if (sources.cookie !== undefined) {
    const value = cookieValue(request.headers.cookie, sources.cookie);
    if (value) return value;
  }
  if (sources.queryParam !== undefined) {
    const q = request.url.indexOf('?');
    const value = q >= 0 ? new URLSearchParams(request.url.slice(q + 1)).get(sources.queryParam) : null;
    if (value) return value;
  }
  return undefined;
}

/**
 * RFC 6265 §5.4: `name=value` pairs separated by "; ". Repeated Cookie headers arrive joined with ", " (JWTs hold no
 * comma).
 */
function cookieValue(header: string | string[] | undefined, name: string): string | undefined {
  const text = Array.isArray(header) ? header.join('; ') : header;
  for (const pair of text?.split(/[;,]/) ?? []) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === name) return unquote(pair.slice(eq + 1).trim());
  }
  return undefined;
}

const unquote = (value: string) =>
  value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
