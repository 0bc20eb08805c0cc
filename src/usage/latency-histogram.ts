/**
 * Fixed log-scale latency buckets for the hourly rollups: bucket i holds latencies up to
 * 0.1 ms × 1.2^i (80 buckets reach ~3 minutes). Summing histograms stays exact; a percentile read from
 * them is the upper bound of its bucket, so within 20% of the true value.
 */
export const BUCKETS = 80;
const BASE_MS = 0.1;
const GROWTH = 1.2;
const LOG_GROWTH = Math.log(GROWTH);

export function bucketOf(latencyMs: number): number {
  if (!(latencyMs > BASE_MS)) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(latencyMs / BASE_MS) / LOG_GROWTH - 1e-9));
}

export function upperBoundMs(bucket: number): number {
  return BASE_MS * GROWTH ** bucket;
}

/** The given percentile (0-1) of a histogram, as its bucket's upper bound (rounded to 0.01 ms). */
export function percentileMs(histogram: readonly number[], percentile: number): number | null {
  const total = histogram.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const rank = Math.ceil(total * percentile);
  let seen = 0;
  for (let bucket = 0; bucket < histogram.length; bucket++) {
    seen += histogram[bucket];
    if (seen >= rank) return Math.round(upperBoundMs(bucket) * 100) / 100;
  }
  return Math.round(upperBoundMs(histogram.length - 1) * 100) / 100;
}
