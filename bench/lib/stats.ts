/** Quantiles of raw samples (nearest rank) and of Prometheus histogram deltas. */

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

/** Nearest-rank quantile of ascending `sorted`; NaN when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = Float64Array.from(values).sort();
  const arr = Array.from(sorted);
  return { n: arr.length, p50: quantile(arr, 0.5), p99: quantile(arr, 0.99), max: arr.at(-1) ?? Number.NaN };
}

/** Cumulative bucket counts by upper bound (`le`), as Prometheus exposes a histogram; the last is +Inf. */
export interface Histogram {
  buckets: Array<{ le: number; count: number }>;
  count: number;
  sum: number;
}

export function histogramDelta(after: Histogram, before: Histogram): Histogram {
  const prior = new Map(before.buckets.map((b) => [b.le, b.count]));
  return {
    buckets: after.buckets.map((b) => ({ le: b.le, count: b.count - (prior.get(b.le) ?? 0) })),
    count: after.count - before.count,
    sum: after.sum - before.sum,
  };
}

/**
 * The q-quantile of a histogram as Prometheus' `histogram_quantile` computes it: linear interpolation inside
 * the bucket holding the rank (the lower bound of the first bucket is 0). Above the last finite bound it
 * answers that bound: the true value is only known to be larger.
 */
export function histogramQuantile(h: Histogram, q: number): number {
  if (h.count === 0) return Number.NaN;
  const rank = q * h.count;
  let lower = 0;
  let below = 0;
  for (const b of h.buckets) {
    if (b.count >= rank) {
      if (!Number.isFinite(b.le)) return lower;
      const inBucket = b.count - below;
      return inBucket === 0 ? b.le : lower + ((b.le - lower) * (rank - below)) / inBucket;
    }
    lower = b.le;
    below = b.count;
  }
  return lower;
}

/** The upper bound of the highest non-empty bucket: the maximum is at most this (Infinity: above every bound). */
export function histogramMaxBound(h: Histogram): number {
  let below = 0;
  let bound = Number.NaN;
  for (const b of h.buckets) {
    if (b.count > below) bound = b.le;
    below = b.count;
  }
  return bound;
}
