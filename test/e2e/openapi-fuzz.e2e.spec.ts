import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueApiKey, registerClient } from '../support/credentials';
import { copyModels } from '../support/models';
import { hostileString, invalid, Schema, valid } from '../support/schema-arbitrary';
import { DIST_CLI, ServerProcess, startServerProcess } from '../support/server-process';
import { TestApp } from '../support/test-app';

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
}

interface Operation {
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema?: Schema; example?: unknown }> };
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

/** A body marker: the documented example of the model the path names (see send). */
const EXAMPLE_OF_PATH_MODEL = '<example of the path model>';

async function accessToken(url: string, clientId: string, clientSecret: string): Promise<string> {
  const response = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

interface Case {
  path: string;
  method: string;
  operation: Operation;
}

/** Requests per operation, and a time bound for each (the whole test stays within a minute or two). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const TIME_LIMIT_MS = Number(process.env.FUZZ_TIME_LIMIT_MS ?? 4000);

/**
 * A fuzzer driven by the OpenAPI document (docs/API.md: "a fuzzer driven by the document finds no
 * undocumented status and no 5xx"). For every operation it sends generated requests, valid ones
 * (from the schemas) and invalid ones (wrong types, unknown fields, hostile text, deep nesting, wrong
 * media types, bad or missing credentials), and fails on any 5xx, any status the document does not list
 * for the operation, or a body that does not match the schema documented for its status.
 */
describe('OpenAPI-driven fuzzing', () => {
  let server: ServerProcess;
  let scratch: string;
  let admin: string;
  let cases: Case[];
  const fixtures: Record<string, string[]> = {};
  /** Each model's documented example body, by surface: `v1:iris`, `v2:iris`. */
  const examples = new Map<string, unknown>();
  const ajv = new Ajv({ strict: false, allErrors: false });
  addFormats(ajv);

  beforeAll(async () => {
    // The built server (its document is the one the Swagger plugin completes at build time, as users get
    // it), on a private copy of the models (the fuzzer uploads, unloads and deletes), with no rate limit
    // hiding the paths behind it.
    scratch = mkdtempSync(join(tmpdir(), 'modelgate-fuzz-'));
    const env = {
      MODEL_REPOSITORY: copyModels(),
      RATE_LIMIT_DEFAULT_RPM: '0',
      EMBEDDED_DATA_DIR: join(scratch, 'db'),
      USAGE_SPOOL_DIR: join(scratch, 'spool'),
      BOOTSTRAP_ADMIN_KEY: 'false',
      LOG_LEVEL: 'warn',
      WORKERS: '1',
      ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
    };
    const cli = spawnSync(process.execPath, [DIST_CLI, 'create-admin-key'], {
      env: { PATH: process.env.PATH, ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(cli.status, cli.stderr).toBe(0);
    admin = cli.stdout.trim();
    server = await startServerProcess(env);
    const context = { url: server.url } as TestApp;
    const key = await issueApiKey(context, admin, { scopes: ['models:read'] });
    const client = await registerClient(context, admin, { scopes: ['models:read'] });
    fixtures.id = [key.id];
    fixtures.clientId = [client.clientId];
    fixtures.name = ['iris', 'mlp', 'penguin-sex', 'normalize-text'];
    fixtures.version = ['1', '2', 'latest', 'stable', '99'];
    fixtures.alias = ['stable', 'canary', 'default'];
    fixtures.clientSecret = [client.clientSecret];
    const raw = (await (await fetch(`${server.url}/docs/openapi.json`)).json()) as object;
    await SwaggerParser.validate(structuredClone(raw) as never);
    const document = (await SwaggerParser.dereference(raw as never)) as unknown as {
      paths: Record<string, Record<string, Operation>>;
    };
    cases = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
        .map(([method, operation]) => ({ path, method, operation })),
    );
    // What destroys fixtures (revocations, deletions, unloads) runs after everything else.
    const destructive = ({ path, method }: Case) => method === 'delete' || path.endsWith('/unload');
    cases.sort((a, b) => Number(destructive(a)) - Number(destructive(b)));
    for (const { path, operation } of cases) {
      const model = /^\/(v1|v2)\/models\/([^/{]+)\/(predict|infer)$/.exec(path);
      const example = operation.requestBody?.content['application/json']?.example;
      if (model && example !== undefined) examples.set(`${model[1]}:${model[2]}`, example);
    }
    fixtures.token = [await accessToken(server.url, client.clientId, client.clientSecret)];
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const encode = (value: string) => {
    try {
      return encodeURIComponent(value);
    } catch {
      return '%ED%A0%80'; // an unpaired surrogate, as a client that encodes it as CESU-8 would
    }
  };

  function requestOf({ path, method, operation }: Case) {
    const parameters = operation.parameters ?? [];
    const pathValue = (parameter: Parameter) =>
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...(fixtures[parameter.name] ?? ['x'])) },
        { weight: 1, arbitrary: hostileString },
        { weight: 1, arbitrary: valid(parameter.schema).map(String) },
      );
    const queryValue = (parameter: Parameter) =>
      fc.oneof({ weight: 3, arbitrary: valid(parameter.schema).map(String) }, { weight: 1, arbitrary: hostileString });
    const content = operation.requestBody?.content ?? {};
    const mediaType = Object.keys(content)[0];
    const bodySchema = mediaType ? content[mediaType].schema : undefined;
    // A body as a real client sends it: the operation's documented example, or (for the generic inference
    // routes) the example of the model the path names; valid() alone rarely fits a model's shapes.
    const example = mediaType ? content[mediaType].example : undefined;
    const exampleBody = fc.constant({ raw: example === undefined ? EXAMPLE_OF_PATH_MODEL : JSON.stringify(example) });
    const body: fc.Arbitrary<{ raw: string | Uint8Array }> =
      mediaType === 'application/octet-stream'
        ? fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ raw: bytes }))
        : mediaType === 'application/x-www-form-urlencoded'
          ? fc
              .oneof(
                fc.dictionary(
                  fc.constantFrom('grant_type', 'client_id', 'client_secret', 'scope', 'token', 'token_type_hint'),
                  fc.oneof(
                    fc.constantFrom(
                      'client_credentials',
                      'models:read',
                      ...fixtures.clientId,
                      ...fixtures.clientSecret,
                    ),
                    hostileString,
                  ),
                ),
                fc.record(
                  {
                    grant_type: fc.constant('client_credentials'),
                    client_id: fc.constant(fixtures.clientId[0]),
                    client_secret: fc.constant(fixtures.clientSecret[0]),
                    token: fc.oneof(fc.constant(fixtures.token[0]), hostileString),
                    scope: fc.constantFrom('models:read', 'models:manage', ''),
                  },
                  { requiredKeys: ['grant_type', 'client_id', 'client_secret'] },
                ),
              )
              .map((fields) => ({ raw: new URLSearchParams(fields as Record<string, string>).toString() }))
          : fc.oneof(
              { weight: 3, arbitrary: exampleBody },
              { weight: 3, arbitrary: valid(bodySchema).map((value) => ({ raw: JSON.stringify(value) })) },
              { weight: 2, arbitrary: invalid(bodySchema).map((value) => ({ raw: JSON.stringify(value) ?? 'null' })) },
              {
                weight: 1,
                arbitrary: fc.constantFrom('{', '', '[1,2', '{"a":1}}', 'null', '"\\u0000"').map((raw) => ({ raw })),
              },
            );
    return fc.record({
      credential: fc.oneof(
        { weight: 6, arbitrary: fc.constant('admin') },
        { weight: 1, arbitrary: fc.constantFrom('none', 'garbage', 'bearer-garbage') },
      ),
      path: fc.tuple(...parameters.filter((p) => p.in === 'path').map(pathValue), fc.constant(0)),
      query: fc.tuple(
        ...parameters
          .filter((p) => p.in === 'query')
          .map((parameter) => fc.option(queryValue(parameter), { nil: undefined, freq: 2 })),
        fc.constant(0),
      ),
      body: mediaType ? fc.option(body, { nil: undefined, freq: 8 }) : fc.constant(undefined),
      contentType: fc.oneof(
        { weight: 8, arbitrary: fc.constant(mediaType) },
        {
          weight: 1,
          arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json'),
        },
      ),
      method: fc.constant(method),
      template: fc.constant(path),
    });
  }

  async function send(
    { path, operation }: Case,
    request: {
      credential: string;
      path: unknown[];
      query: unknown[];
      body?: { raw: string | Uint8Array };
      contentType?: string;
      method: string;
    },
  ) {
    const parameters = operation.parameters ?? [];
    let index = 0;
    const values: Record<string, string> = {};
    const url = path.replace(/\{([^}]+)\}/g, (_match, name: string) => {
      values[name] = String(request.path[index++]);
      return encode(values[name]);
    });
    if (request.body?.raw === EXAMPLE_OF_PATH_MODEL) {
      const example = examples.get(`${path.startsWith('/v2') ? 'v2' : 'v1'}:${values.name}`);
      request = { ...request, body: { raw: example === undefined ? '{}' : JSON.stringify(example) } };
    }
    const query = parameters
      .filter((p) => p.in === 'query')
      .map((parameter, i) => [parameter.name, request.query[i]] as const)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => `${encode(name)}=${encode(String(value))}`)
      .join('&');
    const headers: Record<string, string> = {};
    if (request.credential === 'admin') headers['x-api-key'] = admin;
    if (request.credential === 'garbage') headers['x-api-key'] = 'mg_live_nothing';
    if (request.credential === 'bearer-garbage') headers.authorization = 'Bearer abc.def.ghi';
    if (request.body && request.contentType) headers['content-type'] = request.contentType;
    const response = await fetch(`${server.url}${url}${query ? `?${query}` : ''}`, {
      method: request.method.toUpperCase(),
      headers,
      body: request.body?.raw as string | Uint8Array<ArrayBuffer> | undefined,
    });
    const text = await response.text();
    return { response, text, url };
  }

  it('should answer every generated request with a documented status and body, never a 5xx', async () => {
    expect(cases.length).toBeGreaterThan(40);
    const seen = new Map<string, Set<number>>();
    for (const testCase of cases) {
      const name = `${testCase.method.toUpperCase()} ${testCase.path}`;
      const statuses = new Set<number>();
      seen.set(name, statuses);
      await fc.assert(
        fc.asyncProperty(requestOf(testCase), async (request) => {
          const { response, text, url } = await send(testCase, request);
          statuses.add(response.status);
          const where = `${name} (${request.method.toUpperCase()} ${url.slice(0, 120)}) -> ${response.status} ${text.slice(0, 300)}`;
          const documented = testCase.operation.responses[String(response.status)];
          expect(response.status >= 500 && !(response.status === 503 && documented), where).toBe(false);
          expect(documented, `undocumented status: ${where}`).toBeDefined();
          if (response.status === 503) expect(response.headers.get('retry-after'), where).toBeTruthy();
          expect(response.headers.get('x-request-id'), where).toBeTruthy();
          const type = response.headers.get('content-type')?.split(';')[0];
          const schema = type ? documented.content?.[type]?.schema : undefined;
          if (documented.content && response.status !== 204 && text !== '') {
            expect(type && documented.content[type], `undocumented media type ${type}: ${where}`).toBeTruthy();
          }
          if (schema && type?.includes('json')) {
            const check = ajv.compile(schema);
            expect(check(JSON.parse(text)), `${where}\n${ajv.errorsText(check.errors)}`).toBe(true);
          }
        }),
        {
          numRuns: RUNS,
          interruptAfterTimeLimit: TIME_LIMIT_MS,
          markInterruptAsFailure: false,
          seed: Number(process.env.FUZZ_SEED ?? Date.now() % 1e9),
        },
      );
    }
    // The generated requests reached past validation: most operations also answered a success.
    const succeeded = [...seen.values()].filter((statuses) => [...statuses].some((status) => status < 300)).length;
    const never = [...seen].filter(([, statuses]) => ![...statuses].some((status) => status < 300));
    expect(
      succeeded / seen.size,
      `never succeeded: ${never.map(([name, statuses]) => `${name} ${[...statuses].join(',')}`).join('; ')}`,
    ).toBeGreaterThan(0.7);
  });
});
