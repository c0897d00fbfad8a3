/** A rate or count, rounded for people: 1234 → "1,234", 12.3 → "12.3"; "–" when there is none (NaN, ∞). */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return '–';
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

/** A duration in ms to 0.1 ms, with its unit: "12.3 ms"; "–" when there is none (no samples: NaN). */
export function formatMs(ms: number): string {
  return Number.isFinite(ms) ? `${ms.toFixed(1)} ms` : '–';
}
