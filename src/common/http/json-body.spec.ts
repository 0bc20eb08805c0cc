import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
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
});

describe('jsonBodyParser', () => {
  const app = async () => {
    const fastify = Fastify();
    fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, jsonBodyParser(fastify));
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
    ['{"a":', 'FST_ERR_CTP_INVALID_JSON_BODY'],
    ['', 'FST_ERR_CTP_EMPTY_JSON_BODY'],
    ['{"__proto__":{"admin":true}}', 'FST_ERR_CTP_INVALID_JSON_BODY'],
    ['{"constructor":{"prototype":{"admin":true}}}', 'FST_ERR_CTP_INVALID_JSON_BODY'],
  ])('should reject %j with the standard parser’s 400', async (payload, code) => {
    const response = await post(payload);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code });
  });
});
