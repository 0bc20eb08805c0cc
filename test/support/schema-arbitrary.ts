import fc, { Arbitrary } from 'fast-check';

/** A (dereferenced) OpenAPI 3.0 schema, as far as the generator reads it. */
export interface Schema {
  type?: string;
  format?: string;
  enum?: unknown[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  nullable?: boolean;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  default?: unknown;
}

/** Text a hostile client sends: NUL, unpaired surrogates, controls, long runs, markup. */
export const hostileString: Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('\u0000', 'a\u0000b', '\ud800', 'x\udc00', '\u0001\u001f', '', ' ', '%00', '../../etc/passwd'),
  fc.string({ minLength: 101, maxLength: 400 }),
);

/** Values of any JSON type, including numbers no datatype holds and deep nesting. */
export const hostileJson: Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  hostileString,
  fc.constantFrom(1e308, -1e308, 1e39, 2 ** 63, 1.5, -0, Number.MAX_SAFE_INTEGER + 2),
);

/**
 * Values that fit a schema (a valid request, as a well-behaved client builds it). Depth-limited: past it,
 * optional parts are left out.
 */
export function valid(schema: Schema | undefined, depth = 0): Arbitrary<unknown> {
  if (!schema) return fc.jsonValue({ maxDepth: 2 });
  const base = validNonNull(schema, depth);
  return schema.nullable ? fc.oneof(base, fc.constant(null)) : base;
}

function validNonNull(schema: Schema, depth: number): Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.oneOf) return fc.oneof(...schema.oneOf.map((option) => valid(option, depth)));
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((option) => valid(option, depth)));
  if (schema.allOf) return valid(Object.assign({}, ...schema.allOf, { allOf: undefined }) as Schema, depth);
  switch (schema.type) {
    case 'string':
      if (schema.format === 'date-time') {
        return fc
          .date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-01-01T00:00:00Z'), noInvalidDate: true })
          .map((date) => date.toISOString());
      }
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern), { maxLength: schema.maxLength ?? 40 });
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 20, 40) });
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1000, max: Math.min(schema.maximum ?? 1_000_000, 2 ** 31 - 1) });
    case 'number':
      return fc.double({
        min: schema.minimum ?? -1000,
        max: schema.maximum ?? 1000,
        noNaN: true,
        noDefaultInfinity: true,
      });
    case 'boolean':
      return fc.boolean();
    case 'array': {
      const minLength = schema.minItems ?? 0;
      const maxLength = Math.max(minLength, Math.min(schema.maxItems ?? 3, depth > 4 ? minLength : 3));
      return fc.array(valid(schema.items, depth + 1), { minLength, maxLength });
    }
    case 'object':
    default: {
      if (!schema.properties)
        return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 });
      const required = schema.required ?? [];
      const entries = Object.fromEntries(
        Object.entries(schema.properties)
          .filter(([name]) => required.includes(name) || depth < 5)
          .map(([name, property]) => [name, valid(property, depth + 1)]),
      );
      return fc.record(entries, { requiredKeys: required.filter((name) => name in entries) });
    }
  }
}

/**
 * Values that break a schema in the ways clients and attackers do: a wrong type, an unknown field, a
 * missing required one, hostile text, numbers out of range, nesting past any limit.
 */
export function invalid(schema: Schema | undefined): Arbitrary<unknown> {
  const mutations: Arbitrary<unknown>[] = [hostileJson, fc.constant(deepArray(80))];
  if (schema?.properties) {
    const properties = schema.properties;
    const names = Object.keys(properties);
    mutations.push(
      valid(schema).map((value) => ({ ...(value as object), [`unknown-${names.length}`]: 1 })),
      fc
        .tuple(valid(schema), fc.constantFrom(...names), hostileJson)
        .map(([value, name, replacement]) => ({ ...(value as object), [name]: replacement })),
    );
    if (schema.required?.length) {
      mutations.push(
        fc.tuple(valid(schema), fc.constantFrom(...schema.required)).map(([value, name]) => {
          const copy = { ...(value as Record<string, unknown>) };
          delete copy[name];
          return copy;
        }),
      );
    }
  }
  return fc.oneof(...mutations);
}

function deepArray(levels: number): unknown {
  let value: unknown = 1;
  for (let level = 0; level < levels; level++) value = [value];
  return value;
}
