import { describe, expect, it } from 'vitest';
import { bucketOf, pickVersion, primaryVersion } from './traffic-split';

const principals = Array.from({ length: 10_000 }, (_, i) => `0190f3a2-7c1e-7000-8000-${String(i).padStart(12, '0')}`);

describe('traffic splits', () => {
  it('should route each caller to the same version every time, whatever object holds the same weights', () => {
    for (const id of principals.slice(0, 200)) {
      const first = pickVersion({ versions: { '1': 90, '2': 10 } }, 'canary', id);
      expect(pickVersion({ versions: { '1': 90, '2': 10 } }, 'canary', id)).toBe(first);
      expect(pickVersion({ versions: { '2': 10, '1': 90 } }, 'canary', id)).toBe(first);
    }
  });

  it('should share callers out by weight (within 2 points over 10,000 callers)', () => {
    const split = { versions: { '1': 90, '2': 10 } };
    const canary = principals.filter((id) => pickVersion(split, 'default', id) === 2).length;
    expect(canary / principals.length).toBeGreaterThan(0.08);
    expect(canary / principals.length).toBeLessThan(0.12);
    const three = { versions: { '1': 50, '2': 30, '3': 20 } };
    const counts = [1, 2, 3].map((v) => principals.filter((id) => pickVersion(three, 'default', id) === v).length);
    expect(counts[0] / principals.length).toBeCloseTo(0.5, 1);
    expect(counts[1] / principals.length).toBeCloseTo(0.3, 1);
    expect(counts[2] / principals.length).toBeCloseTo(0.2, 1);
  });

  it('should keep callers on the canary as its weight rises (10% -> 50% -> 100%)', () => {
    const at = (weight: number) =>
      new Set(
        principals.filter((id) => pickVersion({ versions: { '1': 100 - weight, '2': weight } }, 'default', id) === 2),
      );
    const ten = at(10);
    const fifty = at(50);
    for (const id of ten) expect(fifty.has(id)).toBe(true);
    expect(fifty.size).toBeGreaterThan(ten.size * 4);
  });

  it('should bucket differently per alias, and give a caller without identity the heaviest version', () => {
    const differs = principals.slice(0, 100).some((id) => bucketOf(id, 'canary') !== bucketOf(id, 'default'));
    expect(differs).toBe(true);
    expect(pickVersion({ versions: { '1': 30, '2': 70 } }, 'default', undefined)).toBe(2);
    expect(primaryVersion({ versions: { '1': 50, '2': 50 } })).toBe(1);
    expect(pickVersion({ versions: { '1': 0, '2': 100 } }, 'default', principals[0])).toBe(2);
  });
});
