/**
 * The cost–attainment chart: the oracle's frontier (least GPU-hours at each attainment, a lower bound) as a line,
 * every policy as a point. A point on the line costs what the oracle costs at the same attainment; above it, more.
 * The x axis spans the region around ours and the oracle; rows below it sit on the left edge with their value in
 * the label. Plain SVG 1.1, no scripts.
 */
import type { BenchResult } from './run.js';

const W = 760;
const H = 420;
const L = 64;
const R = 24;
const T = 48;
const B = 52;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const n = (x: number): string => (Math.round(x * 10) / 10).toString();

export function frontierSvg(res: BenchResult): string {
  const f = res.oracle.frontier;
  const curve = f.points.map((p) => ({ a: f.requests > 0 ? 1 - p.misses / f.requests : 1, h: p.cost / 3600 }));
  const ours = res.rows.find((r) => r.name === 'ours');
  const maxA = res.oracle.maxAttainment;
  const lo = Math.max(0, Math.min(maxA, ours?.summary.attainment ?? maxA) - 0.08);
  const hi = Math.min(1, Math.max(maxA, ...res.rows.map((r) => r.summary.attainment)) + 0.01);
  const shown = curve.filter((p) => p.a >= lo - 1e-9);
  const yMax = Math.max(0.1, ...shown.map((p) => p.h), ...res.rows.map((r) => r.gpuHours)) * 1.08;
  const x = (a: number): number => L + ((W - L - R) * (Math.max(lo, Math.min(hi, a)) - lo)) / (hi - lo || 1);
  const y = (h: number): number => T + (H - T - B) * (1 - h / yMax);
  const out: string[] = [];
  out.push(`<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" class="frame"/>`);
  for (let i = 0; i <= 4; i++) {
    const a = lo + ((hi - lo) * i) / 4;
    out.push(`<text x="${n(x(a))}" y="${H - B + 16}" class="ax" text-anchor="middle">${(100 * a).toFixed(1)}%</text>`);
    const h = (yMax * i) / 4;
    out.push(`<text x="${L - 6}" y="${n(y(h) + 4)}" class="ax" text-anchor="end">${h.toFixed(1)}</text>`);
  }
  out.push(
    `<text x="${(L + W - R) / 2}" y="${H - 12}" class="ax" text-anchor="middle">% of requests within SLO</text>`,
  );
  out.push(
    `<text x="14" y="${(T + H - B) / 2}" class="ax" ` +
      `transform="rotate(-90 14 ${(T + H - B) / 2})" ` +
      `text-anchor="middle">GPU-hours</text>`,
  );
  const pts = shown.map((p) => `${n(x(p.a))},${n(y(p.h))}`).join(' ');
  out.push(`<polyline class="front" points="${pts}"/>`);
  res.rows
    .filter((r) => r.name !== 'oracle')
    .forEach((r, i) => {
      const a = r.summary.attainment;
      const cx = x(a);
      const cy = y(r.gpuHours);
      const cls = r.name === 'ours' ? 'ours' : 'pt';
      const off = a < lo ? ` (${(100 * a).toFixed(1)}%)` : '';
      out.push(`<circle cx="${n(cx)}" cy="${n(cy)}" r="5" class="${cls}"/>`);
      out.push(`<text x="${n(cx + 8)}" y="${n(cy - 6 - (i % 2) * 10)}" class="lab">${esc(`${r.name}${off}`)}</text>`);
    });
  const o = res.rows.find((r) => r.name === 'oracle');
  if (o) out.push(`<circle cx="${n(x(o.summary.attainment))}" cy="${n(y(o.gpuHours))}" r="4" class="orc"/>`);
  const title =
    `${res.config.trace} · ${res.config.model}` +
    `${res.config.disaggregated ? ' · P/D' : ''} · oracle ` +
    `frontier and policies`;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>
<svg ` +
    `xmlns="http://www.w3.org/2000/svg" width="${W}" height="` +
    `${H}" viewBox="0 0 ${W} ${H}" ` +
    `font-family="sans-serif">
<style>
.h{font-size:13px;font-weight:bold}.ax{font-size:10px;fill:#444}.lab{font-size:11px;fill:#222}
.frame{fill:#fff;stroke:#bbb}.front{fill:none;stroke:#2a8a2a;stroke-width:2}
.pt{fill:#1f5fbf}.ours{fill:#e07b00}.orc{fill:#2a8a2a}
</style>
<rect ` +
    `width="100%" height="100%" fill="#fafafa"/>
<text x="${L}" ` +
    `y="20" class="h">${esc(title)}</text>
<text x="${L}" y="36" ` +
    `class="ax">━ oracle frontier (envelope of its schedules and ` +
    `every run; a lower bound) · ● policies (orange: ` +
    `ours)</text>
${out.join('\n')}
</svg>
`
  );
}
