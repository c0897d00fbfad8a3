import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, decodeJwt, exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWTPayload } from 'jose';
import { TestClient, TestReplyError } from '@switchboard/testing';

export const SECRET = 'test-secret-0123456789-0123456789-abcdef';
export const ISSUER = 'https://auth.test';
export const AUDIENCE = 'switchboard';

export interface TokenOptions {
  /**
   * Seconds from now, rounded up to a whole second (`exp` is in seconds); negative for an expired token. @default 300
   */
  ttl?: number;
  issuer?: string | null;
  audience?: string | null;
  kid?: string;
}

/** Signs `claims` with `key` as `alg`, with our test issuer and audience unless told otherwise. */
export function sign(
  key: CryptoKey | Uint8Array,
  alg: string,
  claims: JWTPayload,
  o: TokenOptions = {},
): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT', ...(o.kid && { kid: o.kid }) }).setIssuedAt();
  jwt.setExpirationTime(Math.ceil(Date.now() / 1000) + (o.ttl ?? 300));
  if (o.issuer !== null) jwt.setIssuer(o.issuer ?? ISSUER);
  if (o.audience !== null) jwt.setAudience(o.audience ?? AUDIENCE);
  return jwt.sign(key);
}

/** A token's `exp`, in Unix ms. */
export const expiryOf = (token: string) => decodeJwt(token).exp! * 1000;

export const hs = (claims: JWTPayload, o?: TokenOptions, secret = SECRET) =>
  sign(new TextEncoder().encode(secret), 'HS256', claims, o);

/** A key pair whose public half is extractable, as PEM and as a JWK. */
export async function keyPair(alg: 'RS256' | 'ES256', kid: string) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return {
    alg,
    kid,
    privateKey,
    pem: await exportSPKI(publicKey),
    jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' },
  };
}

/** An unsigned token (`alg: none`), which no verifier may accept. */
export function unsecured(claims: JWTPayload): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return (
    `${part({ alg: 'none', typ: 'JWT' })}` +
    `.${part({ iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 300, ...claims })}.`
  );
}

/** A JWKS endpoint on 127.0.0.1:0 that counts its fetches. */
export async function startJwksServer(
  keys: object[],
): Promise<{ url: string; fetches: () => number; close: () => Promise<void> }> {
  let fetches = 0;
  const server: Server = createServer((_req, res) => {
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    fetches: () => fetches,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Opens a connection and sends `connect` with `token`: "user <id>", "reply <code>" or "disconnect <code>". */
export async function connectOutcome(url: string, token: string | undefined): Promise<string> {
  const client = await TestClient.open(url);
  try {
    const result = await client.connect(token === undefined ? {} : { token });
    await client.close();
    return `user ${result.user}`;
  } catch (error) {
    if (error instanceof TestReplyError) {
      await client.close();
      return `reply ${error.code}`;
    }
    return `disconnect ${(await client.closed).code}`;
  }
}
