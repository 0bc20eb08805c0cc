import { describe, expect, it } from 'vitest';
import { eiselLemire, powerOfFive } from './eisel-lemire';

/** A seeded generator of 32-bit words (mulberry32), so that a failure can be replayed. */
function words(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** eiselLemire on a BigInt mantissa (NaN, the "cannot decide" signal, never comes back in these tests). */
function convert(w: bigint, q: number): number {
  return eiselLemire(Number(w >> 32n), Number(w & 0xffffffffn), q);
}

describe('eiselLemire', () => {
  it('should round w × 10^q as Number does, for w below 2^64 and q across and beyond the table', () => {
    const next = words(20260611);
    for (let i = 0; i < 200_000; i++) {
      // Mantissas of every length up to 64 bits, most of them the 54 to 64 bits of 17 to 19 digits.
      const bits = i % 4 === 0 ? 1 + (next() % 64) : 54 + (next() % 11);
      let w = ((BigInt(next()) << 32n) | BigInt(next())) >> BigInt(64 - bits);
      if (w >= 10n ** 19n) w /= 10n; // 19 digits at most, as the parser gives it
      const q = (next() % 720) - 370;
      const got = convert(w, q);
      if (!Object.is(got, Number(`${w}e${q}`))) expect.fail(`${w}e${q}: ${got} != ${Number(`${w}e${q}`)}`);
    }
  });

  it('should round halfway cases to even', () => {
    // n × 2^j for an odd 54-bit n lies exactly halfway between two doubles; written as w × 10^q with
    // w below 10^19 that takes q in [-4, 23]: 5^q divides n (q ≥ 0), or w = n × 5^-q (q < 0).
    const next = words(7);
    let ties = 0;
    for (let q = -4; q <= 23; q++) {
      const five = 5n ** BigInt(Math.abs(q));
      for (let i = 0; i < 2_000; i++) {
        const n = (1n << 53n) + ((BigInt(next()) << 20n) | BigInt(next() >>> 12)) * 2n + 1n; // odd, 54 bits
        let w: bigint;
        if (q >= 0) {
          // The odd multiple of 5^q nearest n, times a power of two w can hold.
          let t = n / five;
          if (t % 2n === 0n) t += 1n;
          if (t * five >= 1n << 54n || t * five < 1n << 53n) continue;
          w = t << BigInt(next() % 8);
        } else {
          w = n * five; // n × 2^q = n × 5^-q × 10^q
        }
        if (w >= 10n ** 19n) continue;
        ties++;
        for (const near of [w - 1n, w, w + 1n]) {
          const got = convert(near, q);
          if (!Object.is(got, Number(`${near}e${q}`))) expect.fail(`${near}e${q}: ${got} != ${Number(`${near}e${q}`)}`);
        }
      }
    }
    expect(ties).toBeGreaterThan(20_000);
  });

  it.each([
    [0n, 0, 0],
    [0n, 400, 0],
    [1n, -343, 0],
    [1n, 309, Infinity],
    [9007199254740993n, 0, 9007199254740992],
    [9007199254740995n, 0, 9007199254740996],
    [1n, 23, 1e23],
    [22250738585072011n, -324, 2.225073858507201e-308],
    [22250738585072012n, -324, 2.2250738585072014e-308],
    [22250738585072013n, -324, 2.2250738585072014e-308],
    [49406564584124654n, -340, 5e-324],
    [24703282292062327n, -340, 0],
    [24703282292062328n, -340, 5e-324],
    [17976931348623157n, 292, 1.7976931348623157e308],
    [17976931348623158n, 292, 1.7976931348623157e308],
    [17976931348623159n, 292, Infinity],
    [18446744073709551615n, 0, 18446744073709552000],
    [18446744073709551615n, -342, 2e-323],
  ])('should give %s × 10^%i as %s', (w, q, expected) => {
    expect(convert(w, q)).toBe(expected);
  });

  it('should use a table of 5^q within one unit of its last place (and fast_float’s entries)', () => {
    for (let q = -342; q <= 308; q++) {
      const entry = powerOfFive(q);
      expect(entry >> 127n, `${q}`).toBe(1n);
      const five = 5n ** BigInt(Math.abs(q));
      if (q >= 0) {
        const shift = BigInt(five.toString(2).length - 128); // entry ≈ 5^q / 2^shift
        if (shift <= 0n) expect(entry, `${q}`).toBe(five << -shift);
        else expect(entry << shift <= five && five < (entry + 1n) << shift, `${q}`).toBe(true);
      } else {
        const scale = 1n << BigInt(127 + five.toString(2).length); // entry ≈ 2^scale / 5^-q
        const error = entry * five - scale;
        expect(error > -five && error < five, `${q}`).toBe(true);
      }
    }
    // Entries copied from fast_float's include/fast_float/fast_table.h (high and low 64 bits).
    const fastFloat: [number, string][] = [
      [-342, 'eef453d6923bd65a113faa2906a13b3f'],
      [-30, 'a2425ff75e14fc31a1258379a94d028d'],
      [-28, 'fd87b5f28300ca0d8bca9d6e188853fc'],
      [-27, '9e74d1b791e07e48775ea264cf55347e'],
      [-18, '9392ee8e921d5d073aff322e62439fd0'],
      [-17, 'b877aa3236a4b44909befeb9fad487c3'],
      [-2, 'a3d70a3d70a3d70a3d70a3d70a3d70a4'],
      [-1, 'cccccccccccccccccccccccccccccccd'],
      [0, '80000000000000000000000000000000'],
      [28, '813f3978f89409844000000000000000'],
      [308, '8e679c2f5e44ff8f570f09eaa7ea7648'],
    ];
    for (const [q, hex] of fastFloat) expect(powerOfFive(q).toString(16), `${q}`).toBe(hex);
  });
});
