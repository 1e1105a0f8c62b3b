/**
 * The chart: one panel per policy, stacked. In each panel, replicas over time (decode and prefill as step
 * lines, left axis) and TTFT p99 per minute (right axis, capped at 4× the SLO; dashed line = SLO), with
 * minutes under 99% attainment shaded. Plain SVG 1.1, no scripts, readable in any browser.
 */
import type { BenchResult, PolicyResult } from './run.js';

const W = 960;
const PANEL = 130;
const GAP = 34;
const L = 56;
const R = 60;
const TOP = 72;
const FONT = 'font-family="sans-serif"';
const LINE_STYLES =
  '.lat{fill:none;stroke:#2a8a2a;stroke-width:1.2}.dec{fill:none;stroke:#1f5fbf;stroke-width:1.8}' +
  '.pre{fill:none;stroke:#e07b00;stroke-width:1.8}';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const n = (x: number): string => (Math.round(x * 10) / 10).toString();

function stepPath(
  points: Array<[number, number]>,
  x: (t: number) => number,
  y: (v: number) => number,
  endT: number,
): string {
  if (points.length === 0) return '';
  let d = `M${n(x(points[0]![0]))},${n(y(points[0]![1]))}`;
  for (let i = 1; i < points.length; i++) d += `H${n(x(points[i]![0]))}V${n(y(points[i]![1]))}`;
  return `${d}H${n(x(endT))}`;
}

function panel(r: PolicyResult, i: number, res: BenchResult, maxReplicas: number): string {
  const top = TOP + i * (PANEL + GAP);
  const H = res.config.durationS;
  const x = (t: number): number => L + ((W - L - R) * Math.min(t, H)) / H;
  const yR = (v: number): number => top + PANEL - (PANEL * v) / maxReplicas;
  const capMs = res.config.slo.ttftMs * 4;
  const yL = (ms: number): number => top + PANEL - (PANEL * Math.min(ms, capMs)) / capMs;
  const out: string[] = [];
  const s = r.summary;
  const ratio = Number.isFinite(r.ratioToOracle) ? r.ratioToOracle.toFixed(2) : '—';
  out.push(
    `<text x="${L}" y="${top - 8}" class="t">${esc(r.name)} — ${(100 * s.attainment).toFixed(2)}% within SLO, ` +
      `${r.gpuHours.toFixed(2)} GPU-h (${ratio}× oracle at equal attainment), ${r.coldStarts} cold starts</text>`,
  );
  out.push(`<rect x="${L}" y="${top}" width="${W - L - R}" height="${PANEL}" class="frame"/>`);
  for (const p of r.series)
    if (p.requests > 0 && p.attainment < 0.99)
      out.push(`<rect x="${n(x(p.t))}" y="${top}" width="${n(x(p.t + 60) - x(p.t))}" height="${PANEL}" class="miss"/>`);
  for (let v = 0; v <= maxReplicas; v += Math.max(1, Math.ceil(maxReplicas / 4)))
    out.push(`<text x="${L - 6}" y="${n(yR(v) + 4)}" class="ax" text-anchor="end">${v}</text>`);
  for (const ms of [0, capMs / 2, capMs])
    out.push(`<text x="${W - R + 6}" y="${n(yL(ms) + 4)}" class="ax">${(ms / 1000).toFixed(1)}s</text>`);
  const sloY = n(yL(res.config.slo.ttftMs));
  out.push(`<line x1="${L}" x2="${W - R}" y1="${sloY}" y2="${sloY}" class="slo"/>`);
  // One polyline per run of minutes with finished requests: idle minutes break the line.
  let run: string[] = [];
  const flush = (): void => {
    if (run.length > 0) out.push(`<polyline class="lat" points="${run.join(' ')}"/>`);
    run = [];
  };
  for (const p of r.series) {
    if (p.requests > 0 && Number.isFinite(p.ttftP99Ms)) run.push(`${n(x(p.t + 30))},${n(yL(p.ttftP99Ms))}`);
    else flush();
  }
  flush();
  out.push(
    `<path class="dec" d="${stepPath(
      r.samples.map((q) => [q.t, q.decode]),
      x,
      yR,
      H,
    )}"/>`,
  );
  if (res.config.disaggregated)
    out.push(
      `<path class="pre" d="${stepPath(
        r.samples.map((q) => [q.t, q.prefill]),
        x,
        yR,
        H,
      )}"/>`,
    );
  return out.join('\n');
}

export function svgChart(res: BenchResult): string {
  const maxReplicas = Math.max(1, ...res.rows.flatMap((r) => r.samples.map((q) => Math.max(q.decode, q.prefill))));
  const height = TOP + res.rows.length * (PANEL + GAP) + 20;
  const H = res.config.durationS;
  const ticks: string[] = [];
  const every = H > 4 * 3600 ? 3600 : H > 1200 ? 600 : 60;
  const lastTop = TOP + (res.rows.length - 1) * (PANEL + GAP);
  for (let t = 0; t <= H; t += every) {
    const px = L + ((W - L - R) * t) / H;
    ticks.push(
      `<text x="${n(px)}" y="${lastTop + PANEL + 14}" class="ax" text-anchor="middle">${Math.round(t / 60)}m</text>`,
    );
  }
  const c = res.config;
  const title =
    `${c.trace} · ${c.model} · SLO TTFT ${c.slo.ttftMs} ms, ITL ${c.slo.itlMs} ms · ` +
    `${c.router}${c.disaggregated ? ' · P/D' : ''}`;
  const legend =
    `<text x="${L}" y="20" class="h">${esc(title)}</text>\n` +
    `<text x="${L}" y="38" class="ax"><tspan class="k-dec">━ decode replicas</tspan>` +
    `${c.disaggregated ? '  <tspan class="k-pre">━ prefill replicas</tspan>' : ''}  ` +
    `<tspan class="k-lat">━ TTFT p99 per minute (right axis)</tspan>  ┅ TTFT SLO  ▮ minute under 99% within SLO</text>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" ${FONT}>
<style>
.t{font-size:12px;font-weight:bold}.h{font-size:13px;font-weight:bold}.ax{font-size:10px;fill:#444}
.frame{fill:#fff;stroke:#bbb}.miss{fill:#f6c9c9;opacity:.6}.slo{stroke:#2a8a2a;stroke-dasharray:4 3}
${LINE_STYLES}
.k-dec{fill:#1f5fbf}.k-pre{fill:#e07b00}.k-lat{fill:#2a8a2a}
</style>
<rect width="100%" height="100%" fill="#fafafa"/>
${legend}
${res.rows.map((r, i) => panel(r, i, res, maxReplicas)).join('\n')}
${ticks.join('\n')}
</svg>
`;
}
