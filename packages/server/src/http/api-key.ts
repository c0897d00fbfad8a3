import { createHash, timingSafeEqual } from 'node:crypto';

const SCHEME = 'apikey ';

/**
 * The HTTP API's key check. Both sides are hashed to SHA-256 first, so the
 * comparison is always `timingSafeEqual` over 32 bytes: its time depends
 * neither on where a wrong key differs nor on the configured key's length
 * (an early return on a length mismatch would tell an attacker the length).
 * Hashing the given key costs time linear in *its* length, which reveals
 * nothing about ours.
 */
export class ApiKey {
  private readonly digest: Buffer | undefined;

  /** Without a key every header is refused. */
  constructor(key: string | undefined) {
    this.digest = key === undefined ? undefined : sha256(key);
  }

  /** Whether an `Authorization` header carries the key (`apikey KEY`). */
  matches(header: string | undefined): boolean {
    const scheme = header?.startsWith(SCHEME) === true;
    const given = sha256(scheme ? header!.slice(SCHEME.length) : '');
    // Compare even without a key or a scheme, so that every refusal costs the same.
    const equal = timingSafeEqual(given, this.digest ?? given);
    return scheme && this.digest !== undefined && equal;
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
