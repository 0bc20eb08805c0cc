import { describe, expect, it } from 'vitest';
import { uuidV7 } from './request-id';

describe('uuidV7', () => {
  it('should be a version 7, RFC 9562 variant UUID carrying the time in milliseconds', () => {
    const now = Date.UTC(2026, 10, 26, 5, 30);
    const id = uuidV7(now);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(now);
  });

  it('should sort by time and not repeat', () => {
    const ids = [1, 2, 3, 1_000, 1_795_669_800_000].flatMap((ms) => [uuidV7(ms), uuidV7(ms)]);
    const sorted = [...ids].sort();
    expect(sorted.map((id) => parseInt(id.slice(0, 8) + id.slice(9, 13), 16))).toEqual([
      1, 1, 2, 2, 3, 3, 1_000, 1_000, 1_795_669_800_000, 1_795_669_800_000,
    ]);
    expect(new Set(Array.from({ length: 10_000 }, () => uuidV7())).size).toBe(10_000);
  });
});
