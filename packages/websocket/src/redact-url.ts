const REDACTED = '[redacted]';

/**
 * A URL or request target as it may be logged: every query value, the fragment
 * and any user:password are replaced, since a WebSocket URL is where browsers
 * must put credentials they cannot send as headers (`?token=…`). Parameter names
 * stay, for debugging. Works on absolute URLs and on request targets (`/path?q`).
 */
export function redactUrl(url: string | undefined): string {
  if (url === undefined) return '';
  const hash = url.indexOf('#');
  const withoutHash = hash >= 0 ? url.slice(0, hash) : url;
  const q = withoutHash.indexOf('?');
  const base = (q >= 0 ? withoutHash.slice(0, q) : withoutHash).replace(
    /^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i,
    `$1${REDACTED}@`,
  );
  const query =
    q >= 0
      ? `?${withoutHash
          .slice(q + 1)
          .split('&')
          .map(redactParam)
          .join('&')}`
      : '';
  return `${base}${query}${hash >= 0 ? `#${REDACTED}` : ''}`;
}

function redactParam(param: string): string {
  const eq = param.indexOf('=');
  if (eq >= 0) return `${param.slice(0, eq)}=${REDACTED}`;
  return param === '' ? '' : REDACTED;
}
