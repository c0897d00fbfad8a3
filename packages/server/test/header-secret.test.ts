// The HTTP API key check: accepts exactly `apikey KEY`, and its time does not
// depend on where a wrong key differs nor on the configured key's length. The
// timing harness is first shown to catch an early-exit comparison.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { HeaderSecret } from '../src/http/header-secret.js';

/**
 * ns per call of each check: the 10th percentile of samples taken in
 * interleaved rounds, so that drift hits all alike and bursts of load from
 * other processes (which only ever add time) are left out.
 */
function quantiles(checks: (() => unknown)[], rounds = 151, perSample = 20): number[] {
  const samples = checks.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (const [i, check] of checks.entries()) {
      const start = process.hrtime.bigint();
      for (let n = 0; n < perSample; n++) check();
      samples[i].push(Number(process.hrtime.bigint() - start) / perSample);
    }
  }
  return samples.map((s) => s.sort((a, b) => a - b)[Math.floor(s.length / 10)]);
}

const ratio = (a: number, b: number) => Math.max(a, b) / Math.min(a, b);

/** An early-exit byte comparison: the leak the harness must be able to see. */
function naiveEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a.charCodeAt(i) !== b.charCodeAt(i)) return false;
  return true;
}

describe('HeaderSecret (the API key)', () => {
  const key = 'k'.repeat(16 * 1024);
  const firstDiffers = 'x' + key.slice(1);
  const lastDiffers = key.slice(0, -1) + 'x';

  it('accepts exactly "apikey KEY"', () => {
    const check = new HeaderSecret('apikey', 'the-key-0123456789');
    assert.equal(check.matches('apikey the-key-0123456789'), true);
    for (const wrong of [
      undefined,
      '',
      'apikey ',
      'apikey the-key-012345678',
      'apikey the-key-0123456789 ',
      'Apikey the-key-0123456789',
      'Bearer the-key-0123456789',
      'the-key-0123456789',
    ]) {
      assert.equal(check.matches(wrong), false, String(wrong));
    }
    assert.equal(new HeaderSecret('apikey', undefined).matches('apikey '), false, 'no key: everything refused');
    fc.assert(
      fc.property(fc.string({ minLength: 16 }), fc.string(), (k, given) => {
        assert.equal(new HeaderSecret('apikey', k).matches(`apikey ${given}`), given === k);
        assert.equal(new HeaderSecret('apikey', k).matches(`apikey ${k}`), true);
      }),
      { numRuns: 500 },
    );
  });

  it('the timing harness sees an early-exit comparison (control)', () => {
    const [first, last] = quantiles([() => naiveEqual(firstDiffers, key), () => naiveEqual(lastDiffers, key)]);
    console.log(
      `early-exit compare, 16 KiB key: differs at first byte ${first.toFixed(0)} ns, at last byte ${last.toFixed(0)} ` +
        `ns (×${ratio(first, last).toFixed(1)})`,
    );
    assert.ok(ratio(first, last) > 3, 'the harness must detect the leak it is meant to detect');
  });

  it('takes the same time wherever a wrong key differs, and whatever the configured key length', () => {
    const long = new HeaderSecret('apikey', key);
    const short = new HeaderSecret('apikey', 'k'.repeat(16));
    const [first, last, right, longKeySameInput, shortKeySameInput] = quantiles([
      () => long.matches(`apikey ${firstDiffers}`),
      () => long.matches(`apikey ${lastDiffers}`),
      () => long.matches(`apikey ${key}`),
      () => long.matches(`apikey ${'k'.repeat(16)}x`),
      () => short.matches(`apikey ${'k'.repeat(16)}x`),
    ]);
    console.log(
      `HeaderSecret, 16 KiB key: differs at first byte ${first.toFixed(0)} ns, at last ${last.toFixed(0)} ns, ` +
        `right key ${right.toFixed(0)} ns (×${ratio(first, last).toFixed(2)}, ×${ratio(first, right).toFixed(2)}); ` +
        `same 17-char input against a 16 KiB key ${longKeySameInput.toFixed(0)} ns, ` +
        `against a 16-char key ${shortKeySameInput.toFixed(0)} ` +
        `ns (×${ratio(longKeySameInput, shortKeySameInput).toFixed(2)})`,
    );
    assert.ok(ratio(first, last) < 1.3, 'position of the first wrong byte must not show');
    assert.ok(
      ratio(first, right) < 1.3,
      'a right key must not be faster or slower to check than a wrong one of its length',
    );
    assert.ok(ratio(longKeySameInput, shortKeySameInput) < 1.5, "the configured key's length must not show");
  });
});
