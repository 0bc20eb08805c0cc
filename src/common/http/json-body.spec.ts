import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { sendError } from '../errors/error-response';
import { isNumberArray, jsonBodyParser, parseJsonFast } from './json-body';

const fast = (text: string) => parseJsonFast(Buffer.from(text, 'utf8'));

/** Deep equality that tells -0 from 0, as JSON.parse does. */
function same(actual: unknown, expected: unknown): boolean {
  if (typeof expected === 'number') return Object.is(actual, expected);
  if (Array.isArray(expected))
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((item, index) => same(actual[index], item))
    );
  if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return false;
    const keys = Object.keys(expected);
    return (
      JSON.stringify(Object.keys(actual)) === JSON.stringify(keys) &&
      keys.every((key) => same((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key]))
    );
  }
  return actual === expected;
}

/** A seeded generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
}

function randomNumberText(next: () => number): string {
  const digits = (count: number) => Array.from({ length: count }, () => Math.floor(next() * 10)).join('');
  const integer = next() < 0.3 ? '0' : String(1 + Math.floor(next() * 9)) + digits(Math.floor(next() * 12));
  const fraction = next() < 0.6 ? `.${digits(1 + Math.floor(next() * 12))}` : '';
  const exponent =
    next() < 0.3
      ? `${next() < 0.5 ? 'e' : 'E'}${['', '+', '-'][Math.floor(next() * 3)]}${Math.floor(next() * 330)}`
      : '';
  return `${next() < 0.4 ? '-' : ''}${integer}${fraction}${exponent}`;
}

describe('parseJsonFast', () => {
  it('should give what JSON.parse gives for the bodies it accepts', () => {
    const texts = [
      '{"inputs":{"input":[[5.1,3.5,1.4,0.2],[6.2,2.9,4.3,1.3]]}}',
      ' { "instances" : [ [ 1 , -2.5e3 ] ] , "x" : [ ] , "y" : { } } \n',
      '[true,false,null,"text","ünïcödé ✓",0,-0,-0.0,1e22,1e23,1E-7,123456789012345678,0.1,0.30000000000000004]',
      '[5e-324,1.7976931348623157e308,1e400,-1e400,2.5e-3,9007199254740993,1e-22,1e-23,4.35,3.0e+2]',
      '{"a":1,"a":2,"0":"index","b":[[[]]]}',
    ];
    for (const text of texts) expect(same(fast(text), JSON.parse(text)), text).toBe(true);
  });

  it('should convert every number as JSON.parse does', () => {
    const next = random(20261126);
    for (let i = 0; i < 50_000; i++) {
      const text = randomNumberText(next);
      const value = fast(`[${text}]`) as number[];
      if (!Object.is(value[0], JSON.parse(text) as number)) expect.fail(`${text}: ${value[0]} != ${JSON.parse(text)}`);
    }
  });

  describe('numbers of 16 to 19 digits (Eisel-Lemire) and the rest', () => {
    /** Seeded 32-bit words (mulberry32). */
    const words = (seed: number) => () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return (t ^ (t >>> 14)) >>> 0;
    };
    const bits = new Float64Array(1);
    const halves = new Uint32Array(bits.buffer); // little-endian: [low, high]

    /** Parses the texts as one array body and reports every number that differs from Number(text). */
    const check = (texts: string[]) => {
      const parsed = fast(`[${texts.join(',')}]`);
      if (!Array.isArray(parsed)) return expect.fail(`declined: ${texts.join(',').slice(0, 200)}`);
      for (let i = 0; i < texts.length; i++) {
        if (!Object.is(parsed[i], Number(texts[i]))) expect.fail(`${texts[i]}: ${parsed[i]} != ${Number(texts[i])}`);
      }
    };

    it('should convert a million random doubles and float32 values, printed every way, as Number does', () => {
      const next = words(20260612);
      const texts: string[] = [];
      for (let i = 0; i < 1_000_000; i++) {
        let x: number;
        if (i % 2 === 0) {
          // Any finite double: random bits (every 8th a subnormal).
          do {
            halves[0] = next();
            halves[1] = i % 16 === 0 ? next() & 0x800fffff : next();
            x = bits[0];
          } while (!Number.isFinite(x));
        } else {
          // A float32 widened to a double (what NumPy prints): random float32 bits, or typical feature values.
          do {
            const word = next();
            x =
              i % 4 === 1
                ? new Float32Array(new Uint32Array([word]).buffer)[0]
                : Math.fround((word / 2 ** 32 - 0.5) * 10 ** ((next() % 12) - 8));
          } while (!Number.isFinite(x));
          texts.push(x.toPrecision(8), x.toPrecision(9));
        }
        texts.push(String(x), x.toPrecision(17), x.toExponential(16));
        if (i % 8 === 0) texts.push(x.toPrecision(19), x.toPrecision(20)); // 19 digits, and 20 (left to Number)
        if (texts.length >= 10_000) check(texts.splice(0));
      }
      check(texts);
    });

    it.each([
      // Halfway between two doubles: ties to even.
      '9007199254740993',
      '9007199254740995',
      '4503599627370496.5',
      '4503599627370497.5',
      '1e23',
      '9007199254740992.0000000000000001', // 20 digits: Number decides
      // Around the least normal, the least subnormal, the largest double.
      '2.2250738585072011e-308',
      '2.2250738585072012e-308',
      '2.2250738585072013e-308',
      '2.2250738585072014e-308',
      '4.9406564584124654e-324',
      '2.4703282292062327e-324',
      '2.4703282292062328e-324',
      '2e-324',
      '3e-324',
      '1.7976931348623157e308',
      '1.7976931348623158e308',
      '1.7976931348623159e308',
      '1.797693134862315807e308',
      // 19 and 20 digits.
      '1234567890123456789',
      '9999999999999999999',
      '12345678901234567890',
      '18446744073709551615',
      '18446744073709551616',
      '0.1234567890123456789',
      '-1.234567890123456789e-7',
      '1.00000000000000000000000',
      // Leading zeros in the fraction, trailing zeros.
      '0.000000000000000000012345678901234567',
      '-0.00000000000000000000000000000000001',
      '0.07450000196695328',
      '-1.2345678901234567e-05',
      '5.099999904632568',
      '12345678901234567000e-3',
      // Huge and tiny exponents, zeros.
      '-0',
      '-0.0',
      '0e500',
      '-0e-500',
      '0.0000e+99999999',
      '1e400',
      '-1e400',
      '1e-400',
      '-1e-400',
      '1e308',
      '1e309',
      '1e-323',
      '1e-324',
      '123e-400',
      '0.0001e312',
      '1E+0000000000000000001',
      '1e-0000000000000000001',
      '12345678901234567e10000000',
      '0.00000000000000000000000000000000000000000000000001e10000000',
    ])('should convert %s as Number does', (text) => {
      check([text, `-${text.replace(/^-/, '')}`]);
    });

    it('should give what JSON.parse gives for whole bodies of them', () => {
      const next = words(5);
      const numbers = (count: number) =>
        Array.from({ length: count }, () => {
          const x = Math.fround(next() / 2 ** 32) * (next() % 2 ? 1 : -1e-3);
          return next() % 3 ? String(x) : x.toExponential(16);
        });
      const texts = [
        `[${numbers(784).join(',')}]`,
        `{"inputs":{"input":[[${numbers(784).join(',')}],[${numbers(784).join(', ')}]]},"parameters":{"k":3}}`,
        `{"instances":[{"x":[${numbers(100).join(',')}],"id":"a"},{"x":[${numbers(100).join(' ,\n')}]}]}`,
      ];
      for (const text of texts) {
        expect(same(fast(text), JSON.parse(text)), text.slice(0, 100)).toBe(true);
      }
      const row = (fast(texts[1]) as { inputs: { input: number[][] } }).inputs.input[0];
      expect(isNumberArray(row)).toBe(true);
    });
  });

  it.each([
    '',
    '{"a":1,}',
    '[1,]',
    '[01]',
    '[1.]',
    '[.5]',
    '[-]',
    '[1e]',
    '[+1]',
    '[NaN]',
    '[tru]',
    '[1 2]',
    '{"a" 1}',
    '{a:1}',
    "['a']",
    '1 2',
    '[',
    '{"a":',
    '"open',
    '"raw\u0001control"',
    '\ufeff{"a":1}',
  ])('should leave invalid JSON %j to the standard parser', (text) => {
    expect(fast(text)).toBeUndefined();
  });

  it.each([
    '42',
    '"a string"',
    ' true ',
    '{"a":"line\\nbreak"}',
    '{"__proto__":{"admin":true}}',
    '{"constructor":{"prototype":{}}}',
  ])('should leave %s (not an object or array, or not plain) to the standard parser', (text) => {
    expect(fast(text)).toBeUndefined();
  });

  it('should mark the arrays it read with nothing but numbers', () => {
    const body = fast('{"a":[[1,2.5],[-3e2]],"b":[1,"2"],"c":[],"d":[[1],2]}') as Record<string, unknown[]>;
    expect(isNumberArray(body.a[0])).toBe(true);
    expect(isNumberArray(body.a[1])).toBe(true);
    expect([body.a, body.b, body.c, body.d].map(isNumberArray)).toEqual([false, false, false, false]);
    expect(isNumberArray(JSON.parse('[1,2]'))).toBe(false);
  });

  it('should leave nesting deeper than the stack to the standard parser', () => {
    expect(fast(`${'['.repeat(200_000)}${']'.repeat(200_000)}`)).toBeUndefined();
  });

  it('should read 64 levels and leave 65 to the checks of the standard path', () => {
    expect(fast(`${'['.repeat(64)}1${']'.repeat(64)}`)).toBeDefined();
    expect(fast(`${'['.repeat(65)}1${']'.repeat(65)}`)).toBeUndefined();
    expect(fast(`${'{"a":'.repeat(65)}1${'}'.repeat(65)}`)).toBeUndefined();
  });
});

describe('jsonBodyParser', () => {
  const app = async () => {
    const fastify = Fastify();
    fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, jsonBodyParser(fastify));
    fastify.setErrorHandler((error, request, reply) => sendError(error, request, reply));
    fastify.post('/echo', (request) => ({ body: request.body }));
    await fastify.ready();
    return fastify;
  };
  const post = async (payload: string) => {
    const fastify = await app();
    const response = await fastify.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      payload,
    });
    await fastify.close();
    return response;
  };

  it('should parse bodies on the fast path and the standard one alike', async () => {
    for (const payload of ['{"inputs":{"x":[[1.5,2]]}}', '{"text":["a\\"quoted\\" word"]}']) {
      const response = await post(payload);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ body: JSON.parse(payload) });
    }
  });

  it.each([
    ['{"a":', 'The request body is not valid JSON'],
    ['', 'The request body is empty.'],
    ['{"__proto__":{"admin":true}}', 'The request body is not valid JSON'],
    ['{"constructor":{"prototype":{"admin":true}}}', 'The request body is not valid JSON'],
  ])('should reject %j with the standard parser’s 400', async (payload, detail) => {
    const response = await post(payload);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'invalid_json' });
    expect(response.json<{ detail: string }>().detail).toContain(detail);
  });

  it.each([
    ['65 arrays', `${'['.repeat(65)}1${']'.repeat(65)}`, 'invalid_json'],
    ['65 objects with an escape in a key', `${'{"\\u0061":'.repeat(65)}1${'}'.repeat(65)}`, 'invalid_json'],
    ['a NUL escape', '{"a":"x\\u0000"}', 'invalid_characters'],
    ['a NUL escape in a key', '{"x\\u0000":1}', 'invalid_characters'],
    ['an unpaired surrogate', '["\\ud83d"]', 'invalid_characters'],
  ])('should refuse %s on the standard path with a 400', async (_what, payload, code) => {
    const response = await post(payload);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code });
  });

  it('should accept a paired surrogate and brackets inside strings at any count', async () => {
    const payload = `{"emoji":"\\ud83d\\ude00","text":"${'['.repeat(100)}"}`;
    const response = await post(payload);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ body: JSON.parse(payload) });
  });
});
