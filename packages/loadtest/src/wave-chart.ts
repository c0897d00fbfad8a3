// The reconnect wave as plain SVG (no library), one panel per policy on shared axes: handshakes
// accepted per second (solid) and client attempts per second (dashed) on a log scale, so a burst of
// attempts and a steady accept rate show on one panel; and the share of clients connected (green, right axis).
import type { StormResult } from './storm-run.js';

const W = 780;
const PANEL_H = 150;
const PAD = { left: 56, right: 46, top: 30, bottom: 34 };
/** Title and legend above the first panel. */
const HEAD = 56;
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function waveChart(results: StormResult[], title: string): string {
  const maxT = Math.max(1, ...results.flatMap((r) => r.wave.map((w) => w.t)));
  const maxRate = Math.max(10, ...results.flatMap((r) => r.wave.flatMap((w) => [w.handshakesPerS, w.attemptsPerS])));
  const decades = Math.ceil(Math.log10(maxRate));
  const plotW = W - PAD.left - PAD.right;
  const x = (t: number) => PAD.left + (Math.max(0, t) / maxT) * plotW;
  const parts: string[] = [];
  results.forEach((r, k) => {
    const top = HEAD + PAD.top + k * (PANEL_H + PAD.top + PAD.bottom);
    const yLog = (v: number) => top + PANEL_H - (Math.log10(Math.max(1, v)) / decades) * PANEL_H;
    const yShare = (share: number) => top + PANEL_H - share * PANEL_H;
    const path = (y: (w: StormResult['wave'][number]) => number) =>
      r.wave.map((w, i) => `${i ? 'L' : 'M'}${x(w.t).toFixed(1)},${y(w).toFixed(1)}`).join('');
    const back =
      r.reconnectedMs.p100 === null
        ? 'not all back (timeout)'
        : `all back in ${(r.reconnectedMs.p100 / 1000).toFixed(1)} s`;
    parts.push(
      `<text x="${PAD.left}" y="${top - 8}" font-weight="bold">${esc(r.policy)}: ${r.disconnected} ` +
        `disconnected, ${back}; ${r.attempts} attempts, ${r.refused503}× 503; peak node CPU ${r.peakCpuPercent} ` +
        `%</text>`,
      `<rect x="${PAD.left}" y="${top}" width="${plotW}" height="${PANEL_H}" fill="none" stroke="#bbb"/>`,
      ...Array.from(
        { length: decades + 1 },
        (_, d) =>
          `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${yLog(10 ** d)}" y2="${yLog(10 ** d)}" ` +
          `stroke="#eee"/><text x="${PAD.left - 5}" y="${yLog(10 ** d) + 4}" ` +
          `text-anchor="end">${(10 ** d).toLocaleString('en-US')}</text>`,
      ),
      ...[0, 0.5, 1].map(
        (s) => `<text x="${W - PAD.right + 5}" y="${yShare(s) + 4}" fill="#2ca02c">${s * 100} %</text>`,
      ),
      ...[0, 0.25, 0.5, 0.75, 1].map(
        (f) =>
          `<text x="${x(f * maxT)}" y="${top + PANEL_H + 15}" text-anchor="middle">${(f * maxT).toFixed(0)} s</text>`,
      ),
      `<path d="${path((w) => yShare(w.connected / r.clients))}" fill="none" stroke="#2ca02c" stroke-width="1.5"/>`,
      `<path d="${path((w) => yLog(w.attemptsPerS))}" fill="none" stroke="#d62728" stroke-width="1.5" ` +
        `stroke-dasharray="4 3"/>`,
      `<path d="${path((w) => yLog(w.handshakesPerS))}" fill="none" stroke="#1f77b4" stroke-width="2"/>`,
    );
  });
  const height = HEAD + results.length * (PANEL_H + PAD.top + PAD.bottom) + 10;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" \
font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
<text x="${PAD.left}" y="16" font-size="13" font-weight="bold">${esc(title)}</text>
<text x="${PAD.left}" y="32"><tspan fill="#1f77b4">━ handshakes accepted/s (all nodes, log)</tspan>   <tspan \
fill="#d62728">╌ client attempts/s (log)</tspan>   <tspan fill="#2ca02c">━ clients connected (right axis)</tspan>   x: \
seconds after the disconnect</text>
${parts.join('\n')}
</svg>
`;
}
