import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * A secret an HTTP request must carry as `Authorization: <scheme> <secret>`:
 * the API key (`apikey`), or the metrics token (`Bearer`). Both sides are hashed to SHA-256 first, so the
 * comparison is always `timingSafeEqual` over 32 bytes: its time depends
 * neither on where a wrong key differs nor on the configured key's length
 * (an early return on a length mismatch would tell an attacker the length).
 * Hashing the given key costs time linear in *its* length, which reveals
 * nothing about ours.
 */
export class HeaderSecret {
  private readonly digest: Buffer | undefined;
  private readonly prefix: string;

  /** Without a secret every header is refused. */
  constructor(scheme: 'apikey' | 'Bearer', secret: string | undefined) {
    this.prefix = `${scheme} `;
    this.digest = secret === undefined ? undefined : sha256(secret);
  }

  /** Whether an `Authorization` header carries the secret. */
  matches(header: string | undefined): boolean {
    const scheme = header?.startsWith(this.prefix) === true;
    const given = sha256(scheme ? header!.slice(this.prefix.length) : '');
    // Compare even without a key or a scheme, so that every refusal costs the same.
    const equal = timingSafeEqual(given, this.digest ?? given);
    return scheme && this.digest !== undefined && equal;
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
