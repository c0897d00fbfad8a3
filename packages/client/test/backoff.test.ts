// Full-jitter backoff, as a distribution: 1,000 simulated attempts from a seeded source.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fullJitterDelay, windowDelay } from '../src/index.js';

/** Park–Miller: a seeded uniform source, so the figures below are the same on every run. */
function seeded(seed: number): () => number {
  return () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
}

describe('full-jitter backoff', () => {
  const options = { baseMs: 500, capMs: 20_000, random: seeded(42) };

  it('stays inside [0, min(cap, base·2^attempt)) for every attempt, and reaches the cap', () => {
    for (let attempt = 0; attempt < 1000; attempt++) {
      const a = attempt % 20;
      const d = fullJitterDelay(a, options);
      assert.ok(Number.isInteger(d) && d >= 0 && d < Math.min(20_000, 500 * 2 ** a), `attempt ${a}: ${d}`);
    }
    assert.ok(
      fullJitterDelay(10_000, { ...options, random: () => 0.999999 }) < 20_000,
      'no overflow for huge attempts',
    );
  });

  it('spreads uniformly over the whole capped window (no clustering at the top, unlike ±50 % jitter)', () => {
    const delays = Array.from({ length: 1000 }, () => fullJitterDelay(8, options)); // 500·2^8 > cap
    const buckets = new Array(10).fill(0);
    for (const d of delays) buckets[Math.floor(d / 2000)]++;
    // Each tenth of [0, 20 s) holds 100 ± 40 of 1,000 draws (far outside 4σ otherwise).
    assert.ok(
      buckets.every((b) => b > 60 && b < 140),
      `buckets ${buckets}`,
    );
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    assert.ok(Math.abs(mean - 10_000) < 700, `mean ${mean}`);
    assert.ok(Math.min(...delays) < 200 && Math.max(...delays) > 19_800, 'reaches both ends');
    console.log(
      `# 1000 draws at the cap: buckets of 2 s ${buckets.join(' ')}, mean ${mean.toFixed(0)} ms, ` +
        `min ${Math.min(...delays)}, max ${Math.max(...delays)}`,
    );
  });

  it('doubles the window per attempt until the cap', () => {
    const top = (a: number) => fullJitterDelay(a, { baseMs: 500, capMs: 20_000, random: () => 0.999999 });
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map(top), [499, 999, 1999, 3999, 7999, 15_999, 19_999, 19_999]);
  });

  it('places a reconnect-after delay uniformly inside the server window', () => {
    const random = seeded(7);
    const delays = Array.from({ length: 1000 }, () => windowDelay({ minMs: 2000, maxMs: 12_000 }, random));
    assert.ok(delays.every((d) => d >= 2000 && d < 12_000));
    const lowHalf = delays.filter((d) => d < 7000).length;
    assert.ok(lowHalf > 430 && lowHalf < 570, `${lowHalf} in the lower half`);
  });
});
