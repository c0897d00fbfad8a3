import { createHmac } from 'node:crypto';

const PREFIX = 'whsec_';

/** The key of a Standard Webhooks secret `whsec_<base64>`; throws on anything else. */
export function parseWebhookSecret(secret: unknown): Uint8Array {
  if (typeof secret !== 'string' || !secret.startsWith(PREFIX)) throw new Error('must be "whsec_" followed by base64');
  const b64 = secret.slice(PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new Error('must be "whsec_" followed by base64');
  const key = Buffer.from(b64, 'base64');
  if (key.length < 16) throw new Error('must hold at least 16 bytes');
  return key;
}

/**
 * The Standard Webhooks headers of one message (https://www.standardwebhooks.com,
 * "Signature scheme"): `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`, the
 * timestamp in Unix seconds.
 */
export function signWebhook(key: Uint8Array, id: string, timestampSec: number, body: string): Record<string, string> {
  const signature = createHmac('sha256', key).update(`${id}.${timestampSec}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(timestampSec), 'webhook-signature': `v1,${signature}` };
}
