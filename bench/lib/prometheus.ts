import type { Histogram } from './stats.js';

/** Just enough of the Prometheus text format to read the gateway's /metrics. */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: m[3] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[3]) });
  }
  return out;
}

/** Sum of every sample of `name` whose labels include `match`. */
export function total(samples: Sample[], name: string, match: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0);
}

/** A histogram, its label sets merged (buckets summed by bound). */
export function histogram(samples: Sample[], name: string, match: Record<string, string> = {}): Histogram {
  const byLe = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${name}_bucket`) continue;
    if (!Object.entries(match).every(([k, v]) => s.labels[k] === v)) continue;
    const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  return {
    buckets: [...byLe.entries()].sort((a, b) => a[0] - b[0]).map(([le, count]) => ({ le, count })),
    count: total(samples, `${name}_count`, match),
    sum: total(samples, `${name}_sum`, match),
  };
}

export async function scrape(baseUrl: string): Promise<Sample[]> {
  const res = await fetch(new URL('/metrics', baseUrl), { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
  return parseMetrics(await res.text());
}

/**
 * prom-client samples the event loop with a 10 ms timer and records the time between its runs, so an idle
 * loop reads 10 ms: the delay is what exceeds that interval.
 */
const LOOP_SAMPLING_MS = 10;

/** The event-loop delay beyond the sampling interval since the previous scrape, ms (`p99` or `max`). */
export function loopDelayMs(samples: Sample[], stat: 'p99' | 'max'): number {
  return Math.max(0, total(samples, `nodejs_eventloop_lag_${stat}_seconds`) * 1000 - LOOP_SAMPLING_MS);
}
