/** p-th percentile (0–100) of unsorted samples; NaN when empty. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = Float64Array.from(samples).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function median(values: number[]): number {
  return percentile(values.filter((v) => !Number.isNaN(v)), 50);
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
