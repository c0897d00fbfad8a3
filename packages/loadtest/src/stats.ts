/** p-th percentile (0–100) of unsorted samples; NaN when empty. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = Float64Array.from(samples).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function median(values: number[]): number {
  return percentile(
    values.filter((v) => !Number.isNaN(v)),
    50,
  );
}

/** Keeps at most `max` samples (reservoir), so long runs stay bounded in memory. */
export class Reservoir {
  readonly samples: number[] = [];
  private seen = 0;
  constructor(private readonly max = 100_000) {}
  add(value: number): void {
    this.seen++;
    if (this.samples.length < this.max) this.samples.push(value);
    else {
      const i = Math.floor(Math.random() * this.seen);
      if (i < this.max) this.samples[i] = value;
    }
  }
}

/**
 * Latencies in 0.1 ms buckets, sparse, so histograms from several worker processes merge exactly
 * (a reservoir does not). Memory grows with distinct buckets only: at most 100,000 for 10 s.
 */
export class LatencyHistogram {
  readonly buckets = new Map<number, number>();
  count = 0;
  max = 0;

  add(ms: number): void {
    const b = Math.max(0, Math.round(ms * 10));
    this.buckets.set(b, (this.buckets.get(b) ?? 0) + 1);
    this.count++;
    if (ms > this.max) this.max = ms;
  }

  merge(other: { buckets: [number, number][]; count: number; max: number }): void {
    for (const [b, n] of other.buckets) this.buckets.set(b, (this.buckets.get(b) ?? 0) + n);
    this.count += other.count;
    this.max = Math.max(this.max, other.max);
  }

  toJSON(): { buckets: [number, number][]; count: number; max: number } {
    return { buckets: [...this.buckets], count: this.count, max: this.max };
  }

  /** How many samples took at most `ms`. */
  atMost(ms: number): number {
    let n = 0;
    for (const [b, count] of this.buckets) if (b / 10 <= ms) n += count;
    return n;
  }

  /** p-th percentile (0–100) in ms; NaN when empty. */
  percentile(p: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.min(this.count, Math.max(1, Math.ceil((p / 100) * this.count)));
    let seen = 0;
    for (const b of [...this.buckets.keys()].sort((x, y) => x - y)) {
      seen += this.buckets.get(b)!;
      if (seen >= rank) return b / 10;
    }
    return this.max;
  }
}
