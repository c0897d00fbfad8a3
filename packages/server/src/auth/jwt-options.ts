import { createPublicKey, type KeyObject } from 'node:crypto';

export type JwtAlgorithm = 'HS256' | 'RS256' | 'ES256';

/**
 * JWT authentication (docs/operations.md#authentication). Exactly one key
 * source: `secret`, `publicKey` or `jwksUrl`. Each key source accepts only its
 * own family of algorithms, so a public key can never be used as an HMAC secret
 * (algorithm confusion), and `alg: none` is never accepted.
 */
export interface JwtOptions {
  /** HS256 shared secret, at least 32 characters. */
  secret?: string;
  /** PEM public key (SPKI): RSA for RS256, EC P-256 for ES256. */
  publicKey?: string;
  /**
   * URL of a JSON Web Key Set (RS256 / ES256 keys, picked by `kid`); cached, and fetched again for an unknown `kid` at
   * most every 30 s.
   */
  jwksUrl?: string;
  /**
   * Accepted `alg` values, within the key's family. @default HS256 for secret; RS256 or ES256 (the key's) for
   * publicKey; both for jwksUrl
   */
  algorithms?: JwtAlgorithm[];
  /** Required `iss`. @default not checked */
  issuer?: string;
  /** Required in `aud`. @default not checked */
  audience?: string;
  /** Read the token from this cookie when `connect` carries none. Turns the Origin check on. @default none */
  cookie?: string;
  /** Read the token from this query parameter of the WebSocket URL when `connect` carries none. @default none */
  queryParam?: string;
  /** How long a verified token is remembered (never past its `exp`); 0 turns the cache off. @default 60000 */
  cacheTtlMs?: number;
  /** Most verified tokens remembered. @default 10000 */
  cacheSize?: number;
}

export interface ResolvedJwtOptions {
  /** The HMAC secret, the public key, or where the key set is. */
  key: Uint8Array | KeyObject | URL;
  algorithms: JwtAlgorithm[];
  issuer: string | undefined;
  audience: string | undefined;
  cookie: string | undefined;
  queryParam: string | undefined;
  cacheTtlMs: number;
  cacheSize: number;
}

export const JWT_DEFAULTS = Object.freeze({ cacheTtlMs: 60_000, cacheSize: 10_000 });

const OPTION_NAMES = [
  'secret',
  'publicKey',
  'jwksUrl',
  'algorithms',
  'issuer',
  'audience',
  'cookie',
  'queryParam',
  'cacheTtlMs',
  'cacheSize',
];
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
export const MIN_SECRET_LENGTH = 32;

const fail = (option: string, why: string): never => {
  throw new TypeError(`Switchboard server: jwt.${option} ${why}`);
};

/** Validates eagerly (the PEM is parsed now, the URL too), naming the option at fault. */
export function resolveJwtOptions(options: JwtOptions): ResolvedJwtOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('Switchboard server: jwt must be an object');
  for (const key of Object.keys(options)) if (!OPTION_NAMES.includes(key)) fail(key, 'is not a jwt option');
  const sources = (['secret', 'publicKey', 'jwksUrl'] as const).filter((k) => options[k] !== undefined);
  if (sources.length !== 1) {
    throw new TypeError(
      `Switchboard server: jwt needs exactly one of secret, publicKey, jwksUrl; ` +
        `got ${sources.length === 0 ? 'none' : sources.join(', ')}`,
    );
  }
  const { key, family } = resolveKey(options);
  const algorithms = options.algorithms ?? family;
  if (!Array.isArray(algorithms) || algorithms.length === 0) fail('algorithms', 'must be a non-empty list');
  for (const alg of algorithms)
    if (!family.includes(alg))
      fail('algorithms', `may only hold ${family.join(', ')} with jwt.${sources[0]}, got ${String(alg)}`);
  for (const name of ['issuer', 'audience', 'queryParam'] as const) {
    const v = options[name];
    if (v !== undefined && (typeof v !== 'string' || v === '')) fail(name, 'must be a non-empty string');
  }
  if (options.cookie !== undefined && !(typeof options.cookie === 'string' && COOKIE_NAME.test(options.cookie)))
    fail('cookie', 'must be a cookie name');
  const resolved = {
    ...JWT_DEFAULTS,
    ...stripUndefined({ cacheTtlMs: options.cacheTtlMs, cacheSize: options.cacheSize }),
  };
  for (const name of ['cacheTtlMs', 'cacheSize'] as const) {
    if (!(Number.isSafeInteger(resolved[name]) && resolved[name] >= 0))
      fail(name, `must be a non-negative integer, got ${String(resolved[name])}`);
  }
  return {
    key,
    algorithms,
    issuer: options.issuer,
    audience: options.audience,
    cookie: options.cookie,
    queryParam: options.queryParam,
    ...resolved,
  };
}

function resolveKey(options: JwtOptions): { key: ResolvedJwtOptions['key']; family: JwtAlgorithm[] } {
  if (options.secret !== undefined) {
    if (typeof options.secret !== 'string' || options.secret.length < MIN_SECRET_LENGTH)
      fail('secret', `must be a string of at least ${MIN_SECRET_LENGTH} characters`);
    return { key: new TextEncoder().encode(options.secret), family: ['HS256'] };
  }
  if (options.publicKey !== undefined) {
    const pem = options.publicKey;
    if (typeof pem !== 'string' || /PRIVATE KEY-----/.test(pem))
      fail('publicKey', 'must be a PEM public key (never the private key)');
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch (error) {
      return fail('publicKey', `is not a PEM public key: ${(error as Error).message}`);
    }
    if (key.asymmetricKeyType === 'rsa') return { key, family: ['RS256'] };
    if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
      return { key, family: ['ES256'] };
    return fail('publicKey', `must be an RSA or EC P-256 key, got ${key.asymmetricKeyType}`);
  }
  let url: URL | undefined;
  try {
    url = new URL(String(options.jwksUrl));
  } catch {
    // Reported below.
  }
  if (url?.protocol !== 'https:' && url?.protocol !== 'http:')
    fail('jwksUrl', `must be an http(s) URL, got ${String(options.jwksUrl)}`);
  return { key: url!, family: ['RS256', 'ES256'] };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
