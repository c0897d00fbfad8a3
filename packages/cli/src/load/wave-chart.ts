// The reconnect wave as plain SVG (no library): per policy, handshakes accepted per second (solid) and
// attempts per second (dashed) against seconds since the disconnect, one panel per policy, one y scale.
import type { StormResult } from './storm-run.js';

const W = 760;
const PANEL_H = 150;
const PAD = { left: 60, right: 20, top: 28, bottom: 30 };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function waveChart(results: StormResult[], title: string): string {
  const maxT = Math.max(1, ...results.flatMap((r) => r.wave.map((w) => w.t)));
  const maxY = Math.max(1, ...results.flatMap((r) => r.wave.flatMap((w) => [w.handshakesPerS, w.attemptsPerS])));
  const plotW = W - PAD.left - PAD.right;
  const x = (t: number) => PAD.left + (t / maxT) * plotW;
  const parts: string[] = [];
  results.forEach((r, k) => {
    const top = 30 + k * (PANEL_H + PAD.top + PAD.bottom);
    const y = (v: number) => top + PANEL_H - (v / maxY) * PANEL_H;
    const line = (key: 'handshakesPerS' | 'attemptsPerS') => r.wave.map((w, i) => `${i ? 'L' : 'M'}${x(w.t).toFixed(1)},${y(w[key]).toFixed(1)}`).join('');
    parts.push(
      `<text x="${PAD.left}" y="${top - 8}" font-weight="bold">${esc(r.policy)}: ${r.disconnected} disconnected, all back in ${r.reconnectedMs.p100 === null ? 'never (timeout)' : `${(r.reconnectedMs.p100 / 1000).toFixed(1)} s`}; ${r.attempts} attempts, ${r.refused503}× 503; peak CPU ${r.peakCpuPercent} %</text>`,
      `<line x1="${PAD.left}" y1="${top + PANEL_H}" x2="${W - PAD.right}" y2="${top + PANEL_H}" stroke="#888"/>`,
      `<line x1="${PAD.left}" y1="${top}" x2="${PAD.left}" y2="${top + PANEL_H}" stroke="#888"/>`,
      `<text x="${PAD.left - 6}" y="${top + 4}" text-anchor="end">${Math.round(maxY)}</text>`,
      `<text x="${PAD.left - 6}" y="${top + PANEL_H}" text-anchor="end">0</text>`,
      ...[0, 0.25, 0.5, 0.75, 1].map((f) => `<text x="${x(f * maxT)}" y="${top + PANEL_H + 16}" text-anchor="middle">${(f * maxT).toFixed(1)} s</text>`),
      `<path d="${line('attemptsPerS')}" fill="none" stroke="#d62728" stroke-width="1.5" stroke-dasharray="4 3"/>`,
      `<path d="${line('handshakesPerS')}" fill="none" stroke="#1f77b4" stroke-width="2"/>`,
    );
  });
  const height = 30 + results.length * (PANEL_H + PAD.top + PAD.bottom) + 10;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
<text x="${PAD.left}" y="16" font-size="13" font-weight="bold">${esc(title)}</text>
<text x="${W - PAD.right}" y="16" text-anchor="end"><tspan fill="#1f77b4">━ handshakes accepted/s (all nodes)</tspan>  <tspan fill="#d62728">╌ client attempts/s</tspan></text>
${parts.join('\n')}
</svg>
`;
}
