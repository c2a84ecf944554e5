import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Summary } from './stats.js';
import { ms } from './table.js';

/**
 * Small dependency-free SVG line charts for the reports (`--charts <dir>`). Accessible: `role="img"` with a
 * title and a description that lists every plotted value, so the chart says in text what it shows. Readable on
 * light and dark pages: no background, text and axes in a mid grey (lighter under `prefers-color-scheme:
 * dark`), series in the Okabe–Ito colour-blind-safe palette (a lighter variant in dark mode), and the
 * percentile told by the dash, not by colour alone.
 */

export interface Line {
  label: string;
  /** Index into the palette (lines of one series share it). */
  colour: number;
  dashed: boolean;
  /** [x, y]; NaN y leaves a gap. */
  points: Array<[number, number]>;
}

export interface LineChartSpec {
  /** Unique within a page: prefixes the ids of the title and description. */
  id: string;
  title: string;
  description: string;
  xLabel: string;
  yLabel: string;
  /** Printed next to a y tick value, e.g. ` ms`. */
  yUnit: string;
  lines: Line[];
}

const WIDTH = 760;
const HEIGHT = 380;
const PLOT = { left: 72, top: 44, right: 480, bottom: 316 };
const LIGHT = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9'];
const DARK = ['#56B4E9', '#E69F00', '#3CC9A3', '#E8A3CC', '#F0C84B', '#9AD2F2'];

const escapeXml = (s: string) =>
  s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

const fmt = (v: number) =>
  Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : String(Number(v.toPrecision(3)));

interface Scale {
  at(v: number): number;
  ticks: number[];
}

/** Logarithmic when the values span more than 20×, else linear from 0. */
function yScale(values: number[]): Scale {
  const finite = values.filter((v) => Number.isFinite(v));
  const max = Math.max(1, ...finite);
  const positive = finite.filter((v) => v > 0);
  const min = positive.length ? Math.min(...positive) : max;
  const span = PLOT.bottom - PLOT.top;
  if (max / min > 20) {
    const lo = 10 ** Math.floor(Math.log10(Math.max(min, 0.1)));
    const hi = 10 ** Math.ceil(Math.log10(max));
    const ticks: number[] = [];
    for (let decade = lo; decade <= hi && ticks.length < 40; decade *= 10) {
      for (const m of [1, 2, 5]) if (decade * m <= hi) ticks.push(decade * m);
    }
    const range = Math.log10(hi) - Math.log10(lo);
    // Values at or below the lowest tick (0 ms included) sit on the axis.
    return { at: (v) => PLOT.bottom - (span * (Math.log10(Math.max(v, lo)) - Math.log10(lo))) / range, ticks };
  }
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const top = Math.ceil(max / step) * step;
  const ticks = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);
  return { at: (v) => PLOT.bottom - (span * Math.max(0, v)) / top, ticks };
}

/** Linear over the values, padded; the ticks are the values themselves (the offered rates). */
function xScale(values: number[]): Scale {
  const ticks = [...new Set(values.filter(Number.isFinite))].sort((a, b) => a - b);
  const lo = ticks[0] ?? 0;
  const hi = ticks.at(-1) ?? 1;
  const pad = hi > lo ? (hi - lo) * 0.08 : Math.max(1, lo * 0.5);
  const [from, to] = [lo - pad, hi + pad];
  return { at: (v) => PLOT.left + ((PLOT.right - PLOT.left) * (v - from)) / (to - from), ticks };
}

/** Path segments through the finite points, a gap where y is NaN. */
function pathData(points: Array<[number, number]>, x: Scale, y: Scale): string {
  let d = '';
  let pen = false;
  for (const [px, py] of points) {
    if (!Number.isFinite(py)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${x.at(px).toFixed(1)},${y.at(py).toFixed(1)}`;
    pen = true;
  }
  return d;
}

export function lineChartSvg(spec: LineChartSpec): string {
  const x = xScale(spec.lines.flatMap((l) => l.points.map((p) => p[0])));
  const y = yScale(spec.lines.flatMap((l) => l.points.map((p) => p[1])));
  const colours = (palette: string[]) =>
    palette.map((c, i) => `.s${i}{stroke:${c};fill:${c}}`).join('') + '.line{fill:none}';
  const style = [
    'text{font:12px system-ui,-apple-system,"Segoe UI",sans-serif;fill:#6e7781}',
    '.title{font-size:14px;font-weight:600}',
    '.axis{stroke:#8c959f;fill:none}',
    '.grid{stroke:#8c959f;stroke-opacity:.25;fill:none}',
    colours(LIGHT),
    `@media (prefers-color-scheme:dark){text{fill:#adbac7}.axis{stroke:#768390}${colours(DARK)}}`,
  ].join('');
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-labelledby="${spec.id}-title ${spec.id}-desc">`,
    `<title id="${spec.id}-title">${escapeXml(spec.title)}</title>`,
    `<desc id="${spec.id}-desc">${escapeXml(spec.description)}</desc>`,
    `<style>${style}</style>`,
    `<text class="title" x="${PLOT.left}" y="24">${escapeXml(spec.title)}</text>`,
  ];
  for (const t of y.ticks) {
    const py = y.at(t).toFixed(1);
    out.push(
      `<path class="grid" d="M${PLOT.left},${py}H${PLOT.right}"/>`,
      `<text x="${PLOT.left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${fmt(t)}${escapeXml(spec.yUnit)}</text>`,
    );
  }
  for (const t of x.ticks) {
    const px = x.at(t).toFixed(1);
    out.push(
      `<path class="axis" d="M${px},${PLOT.bottom}v5"/>`,
      `<text x="${px}" y="${PLOT.bottom + 18}" text-anchor="middle">${fmt(t)}</text>`,
    );
  }
  out.push(
    `<path class="axis" d="M${PLOT.left},${PLOT.top}V${PLOT.bottom}H${PLOT.right}"/>`,
    `<text x="${(PLOT.left + PLOT.right) / 2}" y="${PLOT.bottom + 40}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`,
    `<text transform="translate(16 ${(PLOT.top + PLOT.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text>`,
  );
  spec.lines.forEach((line, i) => {
    const cls = `s${line.colour % LIGHT.length}`;
    const dash = line.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(`<path class="${cls} line" stroke-width="2"${dash} d="${pathData(line.points, x, y)}"/>`);
    for (const [px, py] of line.points) {
      if (!Number.isFinite(py)) continue;
      out.push(
        `<circle class="${cls}" cx="${x.at(px).toFixed(1)}" cy="${y.at(py).toFixed(1)}" r="${line.dashed ? 2.5 : 3.5}"/>`,
      );
    }
    const ly = PLOT.top + 8 + i * 22;
    out.push(
      `<path class="${cls} line" stroke-width="2"${dash} d="M${PLOT.right + 24},${ly}h28"/>`,
      `<text x="${PLOT.right + 60}" y="${ly}" dominant-baseline="middle">${escapeXml(line.label)}</text>`,
    );
  });
  out.push('</svg>', '');
  return out.join('\n');
}

export interface LatencyStep {
  /** The deployment or server: one colour each. */
  series: string;
  rate: number;
  latency: Pick<Summary, 'p50' | 'p99'>;
}

/** p50 (dashed) and p99 (solid) latency against the offered rate, one colour per series. */
export function latencyChart(options: { id: string; title: string; subject: string; steps: LatencyStep[] }): string {
  const names = [...new Set(options.steps.map((s) => s.series))];
  const lines: Line[] = names.flatMap((name, colour) => {
    const own = options.steps.filter((s) => s.series === name).sort((a, b) => a.rate - b.rate);
    return (['p99', 'p50'] as const).map((q) => ({
      label: `${name} ${q}`,
      colour,
      dashed: q === 'p50',
      points: own.map((s): [number, number] => [s.rate, s.latency[q]]),
    }));
  });
  const rates = [...new Set(options.steps.map((s) => s.rate))].sort((a, b) => a - b);
  const value = (v: number) => (Number.isFinite(v) ? `${ms(v)} ms` : 'none');
  const values = rates.map((rate) => {
    const at = options.steps.filter((s) => s.rate === rate);
    return `At ${fmt(rate)} calls/s offered: ${at
      .map((s) => `${s.series} p50 ${value(s.latency.p50)}, p99 ${value(s.latency.p99)}`)
      .join('; ')}.`;
  });
  return lineChartSvg({
    id: options.id,
    title: options.title,
    description:
      `Line chart of the p50 (dashed) and p99 (solid) latency in milliseconds against the offered call rate, ` +
      `one colour per ${options.subject}. ${values.join(' ')}`,
    xLabel: 'offered calls/s',
    yLabel: 'latency, ms',
    yUnit: '',
    lines,
  });
}

/** Writes each chart to `<dir>/<name>.svg` (creating `dir`) and answers the paths written. */
export function writeCharts(dir: string, charts: Record<string, string>): string[] {
  mkdirSync(dir, { recursive: true });
  return Object.entries(charts).map(([name, svg]) => {
    const file = path.join(dir, `${name}.svg`);
    writeFileSync(file, svg);
    return file;
  });
}
