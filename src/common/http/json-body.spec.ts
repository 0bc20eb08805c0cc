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
