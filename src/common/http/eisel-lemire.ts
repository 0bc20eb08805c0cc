/**
 * Decimal to double by the Eisel-Lemire algorithm (D. Lemire, "Number Parsing at a Gigabyte per Second",
 * 2021; as in fast_float's `compute_float` and Go's `strconv.eiselLemire64`): w × 10^q for a decimal
 * mantissa w below 2^64 (up to 19 digits) and any q, correctly rounded, from one 64×128-bit product of w
 * with a table entry that approximates 5^q.
 *
 * JavaScript has no 64-bit integers outside BigInt (far too slow per number), so w comes in two 32-bit
 * words and the product is taken in 16-bit limbs, whose products Math.imul gives exactly. BigInt only
 * builds the table, once, at load.
 */

const SMALLEST_POWER_OF_TEN = -342; // w × 10^-343 < 2^64 × 10^-343 is below half the least double
const LARGEST_POWER_OF_TEN = 308; // w × 10^309 ≥ 10^309 is above the largest double

/**
 * 5^q for q in [-342, 308], scaled by a power of two to 128 bits with the top bit set, in eight 16-bit
 * limbs per q, most significant first. Truncated for q ≥ 0; for q < 0 the quotient 2^b / 5^-q is rounded
 * up (plus one) before it is cut to 128 bits. This is fast_float's `power_of_five_128` table, entry for
 * entry (the spec compares a sample with fast_float's source), on which its error analysis rests.
 */
const POWERS_OF_FIVE = powersOfFive();

function powersOfFive(): Uint16Array {
  const table = new Uint16Array((LARGEST_POWER_OF_TEN - SMALLEST_POWER_OF_TEN + 1) * 8);
  for (let q = SMALLEST_POWER_OF_TEN; q <= LARGEST_POWER_OF_TEN; q++) {
    let value: bigint;
    if (q >= 0) {
      value = 5n ** BigInt(q);
    } else {
      const power = 5n ** BigInt(-q);
      const bits = BigInt(power.toString(2).length); // 2^bits > 5^-q > 2^(bits-1)
      // Below 5^28 (a 64-bit divisor) 2^(bits+127) / 5^-q already has 128 bits; above it, twice the bits.
      value = (1n << (q >= -27 ? bits + 127n : 2n * bits + 128n)) / power + 1n;
    }
    while (value < 1n << 127n) value <<= 1n;
    while (value >= 1n << 128n) value >>= 1n;
    const index = (q - SMALLEST_POWER_OF_TEN) * 8;
    for (let limb = 0; limb < 8; limb++) table[index + limb] = Number((value >> BigInt(112 - 16 * limb)) & 0xffffn);
  }
  return table;
}

/** The table entry for 10^q as a 128-bit integer (for the spec). */
export function powerOfFive(q: number): bigint {
  const index = (q - SMALLEST_POWER_OF_TEN) * 8;
  let value = 0n;
  for (let limb = 0; limb < 8; limb++) value = (value << 16n) | BigInt(POWERS_OF_FIVE[index + limb]);
  return value;
}

/**
 * 2^(p - 1075) by the biased binary exponent p the algorithm finds (1 to 2110): a 53-bit integer
 * mantissa times this is the double, exactly, or Infinity past the largest double. Built by doubling from
 * the least subnormal, which is exact all the way (`2 ** n` is left to the Math library).
 */
const POWERS_OF_TWO = new Float64Array(2111);
for (let p = 1, value = Number.MIN_VALUE; p < POWERS_OF_TWO.length; p++, value *= 2) POWERS_OF_TWO[p] = value;

const TWO_32 = 4294967296;

/** lowProductHigh's answer: the high 64 bits of its product, high word first. */
const WIDE = new Uint32Array(2);

/**
 * The high 64 bits of w (16-bit limbs a3 to a0) × the 64 bits of POWERS_OF_FIVE at `index`, into WIDE:
 * the schoolbook product eiselLemire writes out, as a loop (it runs for about one number in 512).
 */
function lowProductHigh(a3: number, a2: number, a1: number, a0: number, index: number): void {
  const a = [a0, a1, a2, a3];
  const columns = [0, 0, 0, 0, 0, 0, 0, 0];
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) {
      const product = Math.imul(a[i], POWERS_OF_FIVE[index + 3 - j]) >>> 0;
      columns[i + j] += product & 0xffff;
      columns[i + j + 1] += product >>> 16;
    }
  }
  for (let k = 1; k < 8; k++) columns[k] += columns[k - 1] >>> 16;
  WIDE[0] = (columns[7] << 16) | (columns[6] & 0xffff);
  WIDE[1] = (columns[5] << 16) | (columns[4] & 0xffff);
}

/**
 * The double nearest to w × 10^q (ties to even), w = high × 2^32 + low (two 32-bit words, below 2^64);
 * NaN when the 128-bit approximation cannot decide. That is a signal only: Mushtak and Lemire proved
 * ("Fast Number Parsing Without Fallback", 2023) it never happens for doubles, and fast_float dropped the
 * test; Go's strconv keeps one like it, and so does this, in a branch taken about once in 512. Positive
 * (the caller applies the sign).
 */
export function eiselLemire(high: number, low: number, q: number): number {
  if ((high | low) === 0 || q < SMALLEST_POWER_OF_TEN) return 0;
  if (q > LARGEST_POWER_OF_TEN) return Infinity;

  // w shifted left until its top bit is set, in 16-bit limbs a3 (most significant) to a0.
  let leadingZeros: number;
  let w1: number;
  let w0: number;
  if (high !== 0) {
    leadingZeros = Math.clz32(high);
    w1 = leadingZeros === 0 ? high : (high << leadingZeros) | (low >>> (32 - leadingZeros));
    w0 = low << leadingZeros;
  } else {
    w1 = low << Math.clz32(low);
    w0 = 0;
    leadingZeros = 32 + Math.clz32(low);
  }
  const a3 = w1 >>> 16;
  const a2 = w1 & 0xffff;
  const a1 = w0 >>> 16;
  const a0 = w0 & 0xffff;

  // w × the entry's high 64 bits, schoolbook in 16-bit limbs: each 16×16-bit product is exact in 32
  // bits (Math.imul, read unsigned), and each column sums at most eight 16-bit halves, far below 2^31.
  // (A version in 32-bit words, with the high word of each product from a double product, took about
  // twice as long a call, measured; its machine code was mostly conversions between integers and doubles.)
  const index = (q - SMALLEST_POWER_OF_TEN) * 8;
  const b3 = POWERS_OF_FIVE[index];
  const b2 = POWERS_OF_FIVE[index + 1];
  const b1 = POWERS_OF_FIVE[index + 2];
  const b0 = POWERS_OF_FIVE[index + 3];
  let p = Math.imul(a0, b0) >>> 0;
  const c0 = p & 0xffff;
  let c1 = p >>> 16;
  p = Math.imul(a0, b1) >>> 0;
  c1 += p & 0xffff;
  let c2 = p >>> 16;
  p = Math.imul(a1, b0) >>> 0;
  c1 += p & 0xffff;
  c2 += p >>> 16;
  p = Math.imul(a0, b2) >>> 0;
  c2 += p & 0xffff;
  let c3 = p >>> 16;
  p = Math.imul(a1, b1) >>> 0;
  c2 += p & 0xffff;
  c3 += p >>> 16;
  p = Math.imul(a2, b0) >>> 0;
  c2 += p & 0xffff;
  c3 += p >>> 16;
  p = Math.imul(a0, b3) >>> 0;
  c3 += p & 0xffff;
  let c4 = p >>> 16;
  p = Math.imul(a1, b2) >>> 0;
  c3 += p & 0xffff;
  c4 += p >>> 16;
  p = Math.imul(a2, b1) >>> 0;
  c3 += p & 0xffff;
  c4 += p >>> 16;
  p = Math.imul(a3, b0) >>> 0;
  c3 += p & 0xffff;
  c4 += p >>> 16;
  p = Math.imul(a1, b3) >>> 0;
  c4 += p & 0xffff;
  let c5 = p >>> 16;
  p = Math.imul(a2, b2) >>> 0;
  c4 += p & 0xffff;
  c5 += p >>> 16;
  p = Math.imul(a3, b1) >>> 0;
  c4 += p & 0xffff;
  c5 += p >>> 16;
  p = Math.imul(a2, b3) >>> 0;
  c5 += p & 0xffff;
  let c6 = p >>> 16;
  p = Math.imul(a3, b2) >>> 0;
  c5 += p & 0xffff;
  c6 += p >>> 16;
  p = Math.imul(a3, b3) >>> 0;
  c6 += p & 0xffff;
  let c7 = p >>> 16;
  c1 += c0 >>> 16;
  c2 += c1 >>> 16;
  c3 += c2 >>> 16;
  c4 += c3 >>> 16;
  c5 += c4 >>> 16;
  c6 += c5 >>> 16;
  c7 += c6 >>> 16;
  // The 128-bit product in 32-bit words, r3 the most significant.
  let r0 = ((c1 << 16) | c0) >>> 0;
  let r1 = ((c3 << 16) | (c2 & 0xffff)) >>> 0;
  let r2 = ((c5 << 16) | (c4 & 0xffff)) >>> 0;
  let r3 = ((c7 << 16) | (c6 & 0xffff)) >>> 0;

  // The 9 bits below the top 55 (the ones that matter) are all ones: the part of the product left out,
  // w × the entry's low 64 bits, could carry into them, so its high 64 bits are added to (r1, r0).
  if ((r2 & 0x1ff) === 0x1ff) {
    lowProductHigh(a3, a2, a1, a0, index + 4);
    let sum = r0 + WIDE[1];
    r0 = sum >>> 0;
    sum = r1 + WIDE[0] + (sum > r0 ? 1 : 0);
    r1 = sum >>> 0;
    if (sum > r1) {
      r2 = (r2 + 1) >>> 0;
      if (r2 === 0) r3++;
    }
    if ((r2 & 0x1ff) === 0x1ff && r1 === 0xffffffff && r0 === 0xffffffff) return NaN;
  }

  // The top 54 bits of the product (the top bit is bit 127 or 126): 53 for the double, one to round by.
  const upper = r3 >>> 31;
  const shift = 9 + upper;
  const mantissaHigh = r3 >>> shift; // bits 53 to 32
  const mantissaLow = ((r3 << (32 - shift)) | (r2 >>> shift)) >>> 0;
  // The biased exponent; (217706 × q) >> 16 is floor(q × log2(10)) for |q| < 350 (fast_float's form).
  const power2 = ((217706 * q) >> 16) + 63 + upper - leadingZeros + 1023;

  if (power2 <= 0) {
    // Below the least normal double: the mantissa loses 1 - power2 more bits, rounded half up (no tie
    // can arise here with 19 digits, as fast_float notes).
    const drop = 1 - power2;
    if (drop >= 54) return 0;
    const wordHigh = drop < 32 ? mantissaHigh >>> drop : 0;
    const wordLow =
      drop < 32 ? ((mantissaHigh << (32 - drop)) | (mantissaLow >>> drop)) >>> 0 : mantissaHigh >>> (drop - 32);
    return ((wordHigh * TWO_32 + wordLow + (wordLow & 1)) / 2) * Number.MIN_VALUE;
  }

  let roundUp = mantissaLow & 1;
  // A tie: every bit below the round bit is zero. With w below 2^64 that can only happen for q in
  // [-4, 23] (Lemire 2021; fast_float's min/max_exponent_round_to_even), where the product is exact but
  // for at most 1 in its low word (the rounded-up entries of q < 0), which is what fast_float tests.
  // Ties go to even: no rounding up when the bit above is 0.
  if (
    roundUp === 1 &&
    (mantissaLow & 2) === 0 &&
    q >= -4 &&
    q <= 23 &&
    r1 === 0 &&
    r0 <= 1 &&
    (r2 & ((1 << shift) - 1)) === 0
  ) {
    roundUp = 0;
  }
  // The 53-bit mantissa (2^53 after rounding up 2^53 - 1 stands for 2^52 one binade up: the same value).
  return (mantissaHigh * 2147483648 + (mantissaLow >>> 1) + roundUp) * POWERS_OF_TWO[power2];
}
