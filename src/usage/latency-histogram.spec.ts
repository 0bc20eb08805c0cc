import { describe, expect, it } from 'vitest';
import { BUCKETS, bucketOf, percentileMs, upperBoundMs } from './latency-histogram';

describe('latency histogram', () => {
  it('should put each latency in the bucket whose upper bound is the first at or above it', () => {
    for (const latency of [0, 0.05, 0.1, 0.11, 1, 3.7, 42, 999, 1e9]) {
      const bucket = bucketOf(latency);
      expect(bucket).toBeGreaterThanOrEqual(0);
      expect(bucket).toBeLessThan(BUCKETS);
      if (bucket < BUCKETS - 1) expect(upperBoundMs(bucket)).toBeGreaterThanOrEqual(latency - 1e-9);
      if (bucket > 0) expect(upperBoundMs(bucket - 1)).toBeLessThan(latency);
    }
  });

  it('should read the 95th percentile within one bucket (20%) above the true value', () => {
    const latencies = Array.from({ length: 200 }, (_, i) => 1 + i * 0.5);
    const histogram = new Array<number>(BUCKETS).fill(0);
    for (const latency of latencies) histogram[bucketOf(latency)]++;
    const truth = latencies[Math.ceil(200 * 0.95) - 1];
    const p95 = percentileMs(histogram, 0.95)!;
    expect(p95).toBeGreaterThanOrEqual(truth - 0.01);
    expect(p95).toBeLessThanOrEqual(truth * 1.2 + 0.01);
    expect(percentileMs(new Array<number>(BUCKETS).fill(0), 0.95)).toBeNull();
  });
});
