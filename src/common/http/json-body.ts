import type { FastifyBodyParser, FastifyInstance } from 'fastify';
import { eiselLemire } from './eisel-lemire';
import { assertCleanBody, jsonDepthExceeds, MAX_JSON_DEPTH, tooDeep } from './input-hygiene';

/** Exact powers of ten: every one up to 1e22 is a double without rounding. */
const POW10 = Array.from({ length: 23 }, (_, power) => 10 ** power);
const EXACT_MANTISSA = 2 ** 53; // below it, every integer is a double
const MAX_MANTISSA = 1e19; // 19 digits: below 2^64, Eisel-Lemire's integer
const TWO_MINUS_32 = 1 / 4294967296;

/** Arrays this parser read with nothing but numbers in them (see isNumberArray). */
const NUMBER_ARRAYS = new WeakSet<unknown[]>();

/**
 * Whether `value` is an array the JSON body parser read with only numbers in it: its elements can be
 * copied in bulk (`Float32Array.prototype.set`) without looking at each one. (An array JSON.parse built
 * is never one: such arrays take the element-by-element path.) Request bodies are not modified after
 * parsing, so the mark stays true.
 */
export function isNumberArray(value: unknown): value is number[] {
  return NUMBER_ARRAYS.has(value as unknown[]);
}

/** Thrown inside the parser when it leaves the text to JSON.parse; never escapes `parseJsonFast`. */
const DECLINE = new Error('declined');

/**
 * A JSON parser over the body's bytes for the request bodies this API lives on: arrays of decimal
 * numbers (a 784-feature row is ~800 of them). V8's JSON.parse spends most of such a body converting
 * number text (strtod) and boxing. Here a number whose digits make an integer below 2^53, with a power
 * of ten up to 22, is one exact integer and one correctly rounded multiplication or division (Clinger's
 * fast path); one of up to 19 digits with any exponent takes Eisel-Lemire's 128-bit product instead
 * (eisel-lemire.ts). Either way it is the double JSON.parse gives. Measured in a loop on a shared
 * 2-vCPU VM (medians): the bench's MLP body (784 numbers of 2 decimals) ~13 µs here against ~30 µs for
 * JSON.parse of the same bytes; 784 float32 values printed as doubles (16-17 digits, as NumPy sends
 * them) ~45 µs against ~80 µs, where Number(text) for each, before Eisel-Lemire, took ~130-200 µs.
 *
 * It accepts only what it is sure of and produces exactly what JSON.parse would; anything else
 * (escapes in strings, `__proto__`/`constructor` keys, a byte-order mark, any syntax error) returns
 * undefined and the caller uses the standard parser, which also reports the errors.
 */
class FastJsonParser {
  private position = 0;
  /** Arrays and objects open around the current position (past MAX_JSON_DEPTH: declined, then refused). */
  private depth = 0;

  constructor(private readonly bytes: Buffer) {}

  parse(): unknown {
    const value = this.value();
    this.skipWhitespace();
    if (this.position !== this.bytes.length) throw DECLINE;
    return value;
  }

  private value(): unknown {
    const code = this.skipWhitespace();
    switch (code) {
      case 0x5b: {
        // [
        if (++this.depth > MAX_JSON_DEPTH) throw DECLINE;
        const array = this.array();
        this.depth--;
        return array;
      }
      case 0x7b: {
        // {
        if (++this.depth > MAX_JSON_DEPTH) throw DECLINE;
        const object = this.object();
        this.depth--;
        return object;
      }
      case 0x22: // "
        return this.string();
      case 0x74: // t
        return this.literal('true', true);
      case 0x66: // f
        return this.literal('false', false);
      case 0x6e: // n
        return this.literal('null', null);
      default: {
        const value = readNumber(this.bytes, this.position);
        this.position = numberEnd;
        return value;
      }
    }
  }

  /**
   * Arrays of numbers (nearly every byte of an inference body) are read in a loop of their own, into an
   * array literal used only for numbers: V8 then keeps them as unboxed doubles, where an array literal
   * that also receives objects would box every number.
   */
  private array(): unknown[] {
    const bytes = this.bytes;
    let index = skipWhitespace(bytes, this.position + 1);
    if (bytes[index] === 0x5d) {
      this.position = index + 1;
      return [];
    }
    if (!startsNumber(bytes[index])) return this.values([], index);
    const numbers: number[] = [];
    for (;;) {
      numbers.push(readNumber(bytes, index));
      index = skipWhitespace(bytes, numberEnd);
      const separator = bytes[index];
      index = skipWhitespace(bytes, index + 1);
      if (separator === 0x5d) {
        this.position = index;
        NUMBER_ARRAYS.add(numbers);
        return numbers;
      }
      if (separator !== 0x2c) throw DECLINE;
      if (!startsNumber(bytes[index])) return this.values(Array.from<unknown>(numbers), index);
    }
  }

  /** The rest of an array, any values, from `index` (at a value) on. */
  private values(items: unknown[], index: number): unknown[] {
    this.position = index;
    for (;;) {
      items.push(this.value());
      const separator = this.skipWhitespace();
      this.position++;
      if (separator === 0x2c) continue; // ,
      if (separator === 0x5d) return items; // ]
      throw DECLINE;
    }
  }

  private object(): Record<string, unknown> {
    const object: Record<string, unknown> = {};
    this.position++;
    if (this.skipWhitespace() === 0x7d) {
      this.position++;
      return object;
    }
    for (;;) {
      if (this.skipWhitespace() !== 0x22) throw DECLINE;
      const key = this.string();
      // Left to the standard parser, which rejects prototype poisoning.
      if (key === '__proto__' || key === 'constructor') throw DECLINE;
      if (this.skipWhitespace() !== 0x3a) throw DECLINE; // :
      this.position++;
      object[key] = this.value();
      const code = this.skipWhitespace();
      this.position++;
      if (code === 0x2c) continue; // ,
      if (code === 0x7d) return object; // }
      throw DECLINE;
    }
  }

  private string(): string {
    const bytes = this.bytes;
    const start = ++this.position;
    let ascii = true;
    for (let index = start; index < bytes.length; index++) {
      const code = byteAt(bytes, index);
      if (code === 0x22) {
        this.position = index + 1;
        return bytes.toString(ascii ? 'latin1' : 'utf8', start, index);
      }
      if (code === 0x5c || code < 0x20) throw DECLINE; // escapes are left to JSON.parse; raw controls are invalid
      if (code >= 0x80) ascii = false;
    }
    throw DECLINE;
  }

  private literal(text: string, value: boolean | null): boolean | null {
    for (let offset = 0; offset < text.length; offset++) {
      if (byteAt(this.bytes, this.position + offset) !== text.charCodeAt(offset)) throw DECLINE;
    }
    this.position += text.length;
    return value;
  }

  /** Skips JSON whitespace; the next byte (-1 at the end). */
  private skipWhitespace(): number {
    this.position = skipWhitespace(this.bytes, this.position);
    return byteAt(this.bytes, this.position);
  }
}

/** The index of the first byte from `index` on that is not JSON whitespace. */
function skipWhitespace(bytes: Buffer, index: number): number {
  let code = byteAt(bytes, index);
  while (code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09) code = byteAt(bytes, ++index);
  return index;
}

/** The index of the last byte that is not JSON whitespace (-1 when there is none). */
function skipWhitespaceBack(bytes: Buffer): number {
  let index = bytes.length - 1;
  while (index >= 0) {
    const code = bytes[index];
    if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09) break;
    index--;
  }
  return index;
}

/** Where the number readNumber read last ends (a second return value, without allocating a pair). */
let numberEnd = 0;

/** `-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?` from `start`, as JSON.parse would read it. */
function readNumber(bytes: Buffer, start: number): number {
  let index = start;
  let code = bytes[index];
  const negative = code === 0x2d;
  if (negative) code = bytes[++index];
  const magnitudeStart = index;
  if (!isDigit(code)) throw DECLINE;
  // The digits (point and leading zeros aside) as an integer w, held twice: as a double, which is exact
  // below 2^53 and within 2^13 of w below 10^19 (the rounding errors of the few steps past 2^53), and as
  // w's low 32 bits, exact (each product is exact in a double, and `| 0` keeps its low 32 bits). The two
  // give w's high word (highWord). No digit count is needed: the double is below 2^53 exactly when w is
  // (each step rounds monotonically, and 2^53 is a double), and below 10^19 only if w is.
  let mantissa = 0;
  let low = 0;
  if (code === 0x30) {
    code = bytes[++index];
  } else {
    while (isDigit(code)) {
      mantissa = mantissa * 10 + (code - 0x30);
      low = (low * 10 + (code - 0x30)) | 0;
      code = bytes[++index];
    }
  }
  let scale = 0;
  if (code === 0x2e) {
    code = bytes[++index];
    if (!isDigit(code)) throw DECLINE;
    const fraction = index;
    while (isDigit(code)) {
      // Two digits a step where there are two: half the iterations, each with its own bounds and stack
      // checks, for the long fractions real clients send: 10-15% off a body of 17-digit numbers (measured).
      // The next byte exists: the document ends in `]` or `}`.
      const next = bytes[index + 1];
      if (isDigit(next)) {
        const pair = code * 10 + next - 0x210; // (code - 0x30) * 10 + (next - 0x30)
        mantissa = mantissa * 100 + pair;
        low = (low * 100 + pair) | 0;
        code = bytes[(index += 2)];
      } else {
        mantissa = mantissa * 10 + (code - 0x30);
        low = (low * 10 + (code - 0x30)) | 0;
        code = next;
        index++;
      }
    }
    scale = index - fraction;
  }
  numberEnd = index;
  // Exponents are rare: read apart, which keeps this function small enough for V8 to inline it into the
  // array loop (up to 460 bytes of bytecode; it has 435). Not inlined, a body took 10-20% longer (measured).
  const power = (code === 0x65 || code === 0x45 ? readExponent(bytes, index) : 0) - scale; // +0, not -0
  const magnitude =
    mantissa < EXACT_MANTISSA && power >= -22 && power <= 22
      ? // Clinger: an exact integer times or over an exact power of ten, rounded once.
        power < 0
        ? mantissa / POW10[-power]
        : mantissa * POW10[power]
      : longMagnitude(bytes, magnitudeStart, numberEnd, mantissa, low, power);
  return negative ? -magnitude : magnitude;
}

/**
 * `[eE][+-]?[0-9]+` at `index`: its value, exact below 10^7 (leading zeros aside), NaN from there on;
 * sets numberEnd past it.
 */
function readExponent(bytes: Buffer, index: number): number {
  let code = bytes[++index];
  const negative = code === 0x2d;
  if (negative || code === 0x2b) code = bytes[++index];
  if (!isDigit(code)) throw DECLINE;
  let exponent = 0;
  while (isDigit(code)) {
    exponent = exponent < 1e6 ? exponent * 10 + (code - 0x30) : NaN;
    code = bytes[++index];
  }
  numberEnd = index;
  return negative ? -exponent : exponent;
}

/**
 * The magnitude of the number at `from` to `to` (its digits, after any minus sign) when Clinger's fast
 * path cannot take it: Eisel-Lemire up to 19 digits; otherwise, or when it cannot round the product
 * (never seen), or when `power` is NaN (an exponent of 10^7 or more), the conversion JSON.parse makes.
 */
function longMagnitude(bytes: Buffer, from: number, to: number, mantissa: number, low: number, power: number): number {
  if (mantissa < MAX_MANTISSA && !Number.isNaN(power)) {
    const magnitude = eiselLemire(highWord(mantissa, low), low >>> 0, power);
    if (!Number.isNaN(magnitude)) return magnitude;
  }
  return Number(bytes.toString('latin1', from, to));
}

/**
 * w's high 32 bits from a double within 2^13 of w (below 2^64) and w's low 32 bits: their difference is
 * within 2^13 + 2^10 (the subtraction's rounding) of the high word times 2^32.
 */
function highWord(mantissa: number, low: number): number {
  return ((mantissa - (low >>> 0)) * TWO_MINUS_32 + 0.5) >>> 0;
}

/** The byte at `index`, -1 past the end (see parseJsonFast on reads past the end). */
function byteAt(bytes: Buffer, index: number): number {
  return index < bytes.length ? bytes[index] : -1;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function startsNumber(code: number): boolean {
  return code === 0x2d || isDigit(code);
}

/** The body's JSON value, or undefined when the standard parser must decide (see FastJsonParser). */
export function parseJsonFast(bytes: Buffer): unknown {
  // Only documents that end in `]` or `}` (every request body in practice): then no number runs to the
  // end of the bytes, and the per-number loops can read bytes without a bounds check of their own. A
  // read past the end of a typed array gives undefined, and one such read teaches V8 that every byte
  // compared there may be undefined: the loops ran at half speed after it.
  const end = skipWhitespaceBack(bytes);
  if (end < 0 || (bytes[end] !== 0x5d && bytes[end] !== 0x7d)) return undefined;
  try {
    return new FastJsonParser(bytes).parse();
  } catch {
    // DECLINE, or a RangeError from very deep nesting: the standard parser handles both.
    return undefined;
  }
}

/**
 * The `application/json` body parser (raw bytes in): parseJsonFast, falling back to Fastify's own JSON
 * parser (same prototype-poisoning rules, same 400s) for whatever it declines. What the fast parser
 * accepts is storable as it is (no escapes, no control characters, at most MAX_JSON_DEPTH deep); what
 * the standard parser reads is checked: too deep a body is refused before it is parsed, and a NUL or an
 * unpaired surrogate (`\u0000`, `\ud800`) in a key or string after (input-hygiene.ts).
 */
export function jsonBodyParser(fastify: FastifyInstance): FastifyBodyParser<Buffer> {
  const standard = fastify.getDefaultJsonParser('error', 'error');
  return (request, body, done) => {
    const value = parseJsonFast(body);
    if (value !== undefined) return done(null, value);
    if (jsonDepthExceeds(body)) return done(tooDeep(), undefined);
    // Fastify's parser takes the body as text.
    void standard(request, body.toString('utf8'), (error: Error | null, parsed?: unknown) => {
      if (error) return done(error, undefined);
      try {
        assertCleanBody(parsed);
      } catch (invalid) {
        return done(invalid as Error, undefined);
      }
      done(null, parsed);
    });
  };
}
