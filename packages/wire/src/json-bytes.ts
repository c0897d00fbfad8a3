/**
 * JSON text with bytes: a `Uint8Array` anywhere in a value is written as the
 * tagged form `{"$bytes":"<base64>"}`, and read back as a `Uint8Array`. An object
 * whose only key is `$bytes` with a string value is therefore reserved: it always
 * means bytes. Used by `JsonCodec`, the HTTP API and the Redis engine's stored
 * bodies, so bytes survive every JSON leg (docs/protocol.md#binary-data).
 */
export const JsonBytes = {
  stringify(value: unknown): string {
    // The replacer takes V8 off its fast path: only pay for it when there are bytes.
    return hasBytes(value) ? JSON.stringify(value, bytesReplacer) : JSON.stringify(value);
  },

  /** Throws SyntaxError on invalid JSON and on a tagged form whose base64 is invalid. */
  parse(text: string): unknown {
    const value: unknown = JSON.parse(text);
    // The tag written literally is the only form recognised: skip the walk when it cannot be there.
    return text.includes('"$bytes"') ? revive(value) : value;
  },
};

const TAG = '$bytes';

function hasBytes(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (value instanceof Uint8Array) return true;
  if (Array.isArray(value)) return value.some(hasBytes);
  for (const key in value) if (hasBytes((value as Record<string, unknown>)[key])) return true;
  return false;
}

// `this[key]`, not `value`: a Node Buffer's toJSON has already run on `value`.
function bytesReplacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  return raw instanceof Uint8Array ? { [TAG]: toBase64(raw) } : value;
}

/** Replaces tagged forms with bytes, in place (the value is fresh from JSON.parse). */
function revive(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i]);
    return value;
  }
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  if (keys.length === 1 && keys[0] === TAG && typeof object[TAG] === 'string') return fromBase64(object[TAG]);
  // defineProperty: a `__proto__` key is data, and assigning it would set the prototype.
  for (const key of keys) {
    const before = object[key];
    const after = revive(before);
    if (after !== before)
      Object.defineProperty(object, key, { value: after, writable: true, enumerable: true, configurable: true });
  }
  return object;
}

const CHUNK = 0x8000;

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += CHUNK)
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK) as unknown as number[]);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new SyntaxError('"$bytes" is not valid base64');
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
