// The soak's verdict and its outputs: the least-squares slope of heap after GC,
// a plain SVG chart (three stacked panels over time), and the markdown section
// of docs/reliability.md between its soak markers.

export interface Sample {
  /** Seconds since the load started (negative: the baseline, before it). */
  t: number;
  rss: number;
  heapAfterGc: number;
  handles: number;
  sockets: number;
  lagP99Ms: number;
  lagMaxMs: number;
  /** Client connections the load held when sampled. */
  clients: number;
}

/** Least-squares slope of `y` over `x`. */
export function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

const MiB = 1024 * 1024;

interface Panel {
  title: string;
  unit: string;
  series: { name: string; color: string; values: number[] }[];
  /** A fitted line drawn over the pass window. */
  fit?: { slope: number; intercept: number };
}

/**
 * Four panels (RSS, heap after GC with its fitted slope, handles and sockets, event-loop delay) over time; the pass
 * window is shaded.
 */
export function chart(samples: Sample[], windowStart: number, windowEnd: number): string {
  const W = 760;
  const PH = 120;
  const L = 60;
  const R = 150;
  const top = 30;
  const gap = 40;
  const ts = samples.map((s) => s.t);
  const [t0, t1] = [Math.min(...ts), Math.max(...ts)];
  const x = (t: number) => L + ((t - t0) / Math.max(1, t1 - t0)) * (W - L - R);
  const inWindow = samples
    .filter((s) => s.t >= windowStart && s.t <= windowEnd)
    .map((s) => ({ x: s.t, y: s.heapAfterGc / MiB }));
  const k = slope(inWindow);
  const fit = {
    slope: k,
    intercept:
      inWindow.reduce((a, p) => a + p.y, 0) / Math.max(1, inWindow.length) -
      (k * inWindow.reduce((a, p) => a + p.x, 0)) / Math.max(1, inWindow.length),
  };
  const panels: Panel[] = [
    { title: 'RSS', unit: 'MiB', series: [{ name: 'RSS', color: '#d62728', values: samples.map((s) => s.rss / MiB) }] },
    {
      title: 'Heap after GC',
      unit: 'MiB',
      series: [{ name: 'heap after GC', color: '#1f77b4', values: samples.map((s) => s.heapAfterGc / MiB) }],
      fit,
    },
    {
      title: 'Handles and sockets',
      unit: 'count',
      series: [
        { name: 'handles', color: '#2ca02c', values: samples.map((s) => s.handles) },
        { name: 'TCP sockets', color: '#9467bd', values: samples.map((s) => s.sockets) },
        { name: 'clients (load)', color: '#8c564b', values: samples.map((s) => s.clients) },
      ],
    },
    {
      title: 'Event-loop delay',
      unit: 'ms',
      series: [
        { name: 'p99', color: '#ff7f0e', values: samples.map((s) => s.lagP99Ms) },
        { name: 'max', color: '#7f7f7f', values: samples.map((s) => s.lagMaxMs) },
      ],
    },
  ];
  const H = top + panels.length * (PH + gap) + 10;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ` +
      `font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
  ];
  out.push(
    `<text x="${L}" y="18" font-size="13" font-weight="bold">switchboard soak: one serve process, ${samples.length} ` +
      `samples, ${Math.round((t1 - Math.max(0, t0)) / 60)} min</text>`,
  );
  panels.forEach((panel, i) => {
    const y0 = top + i * (PH + gap) + 15;
    const max = Math.max(1, ...panel.series.flatMap((s) => s.values)) * 1.1;
    const y = (v: number) => y0 + PH - (v / max) * PH;
    out.push(`<text x="${L}" y="${y0 - 4}" font-weight="bold">${panel.title} (${panel.unit})</text>`);
    out.push(`<rect x="${L}" y="${y0}" width="${W - L - R}" height="${PH}" fill="none" stroke="#ccc"/>`);
    for (const f of [0, 0.5, 1])
      out.push(
        `<text x="${L - 6}" y="${y(max * f) + 4}" text-anchor="end">${(max * f).toFixed(max * f < 10 ? 1 : 0)}</text>`,
      );
    out.push(
      `<rect x="${x(windowStart)}" y="${y0}" width="${x(windowEnd) - x(windowStart)}" height="${PH}" fill="#1f77b4" ` +
        `fill-opacity="0.05"/>`,
    );
    if (panel.fit) {
      const at = (t: number) => y(panel.fit!.intercept + panel.fit!.slope * t);
      out.push(
        `<line x1="${x(windowStart)}" x2="${x(windowEnd)}" y1="${at(windowStart)}" y2="${at(windowEnd)}" ` +
          `stroke="#000" stroke-dasharray="4 3"/>`,
      );
      out.push(`<text x="${W - R + 10}" y="${y0 + 44}">fit: ${(panel.fit.slope * 60).toFixed(3)} MiB/min</text>`);
    }
    panel.series.forEach((s, k) => {
      const points = s.values.map((v, j) => `${x(ts[j]).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
      out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${points}"/>`);
      out.push(
        `<line x1="${W - R + 10}" x2="${W - R + 28}" y1="${y0 + 12 + k * 16}" y2="${y0 + 12 + k * 16}" ` +
          `stroke="${s.color}" stroke-width="2"/><text x="${W - R + 32}" y="${y0 + 16 + k * 16}">${s.name}</text>`,
      );
    });
    for (const f of [0, 0.25, 0.5, 0.75, 1]) {
      const t = t0 + f * (t1 - t0);
      out.push(`<text x="${x(t)}" y="${y0 + PH + 13}" text-anchor="middle">${(t / 60).toFixed(1)} min</text>`);
    }
  });
  out.push('</svg>');
  return out.join('\n');
}

const SOAK_BEGIN = '<!-- soak:begin (written by `npm run soak`; do not edit by hand) -->';
const SOAK_END = '<!-- soak:end -->';

/** Replaces the soak section of `doc` (or appends one). */
export function withSoakSection(doc: string, section: string): string {
  const block = `${SOAK_BEGIN}\n${section.trim()}\n${SOAK_END}`;
  const a = doc.indexOf(SOAK_BEGIN);
  const b = doc.indexOf(SOAK_END);
  return a >= 0 && b > a ? doc.slice(0, a) + block + doc.slice(b + SOAK_END.length) : `${doc.trimEnd()}\n\n${block}\n`;
}
