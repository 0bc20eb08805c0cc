import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelgateClient } from '../../clients/typescript';
import { runExample } from '../../examples/typescript/predict';
import { generateClientTypes } from '../../scripts/client-types';
import { createAdminKey, issueApiKey } from '../support/credentials';
import { freePort } from '../support/server-process';
import { startTestApp, TestApp } from '../support/test-app';

const ROOT = join(__dirname, '..', '..');

/** A python3 that can run the grpcio example (Debian's python3-grpcio, python3-grpc-tools, python3-numpy). */
const PYTHON = ['python3', '/usr/bin/python3'].find(
  (python) => spawnSync(python, ['-c', 'import grpc, grpc_tools, numpy'], { encoding: 'utf8' }).status === 0,
);
const pythonGrpc = PYTHON ? it : it.skip;

/** Runs a program without blocking this process (the server under test runs in it). */
const run = promisify(execFile);

describe('Clients for users', () => {
  let server: TestApp;
  let grpcPort: number;
  let partner: string;

  beforeAll(async () => {
    grpcPort = await freePort();
    server = await startTestApp({ GRPC_PORT: String(grpcPort), GRPC_HOST: '127.0.0.1' });
    const admin = await createAdminKey(server);
    partner = (await issueApiKey(server, admin, { scopes: ['models:read', 'models:infer', 'usage:read'] })).key;
  });

  afterAll(async () => {
    await server.close();
  });

  it('should have the committed TypeScript client types generated from the built server’s document', async () => {
    const committed = readFileSync(join(ROOT, 'clients', 'typescript', 'modelgate-api.ts'), 'utf8');
    expect(await generateClientTypes(), 'run `npm run client:generate`').toBe(committed);
  });

  it('should call the platform through the typed client (examples/typescript/predict.ts)', async () => {
    const lines: string[] = [];
    await runExample(server.url, partner, (line) => lines.push(line));
    expect(lines[0]).toMatch(/^models: .*iris/);
    expect(lines[1]).toBe('iris says setosa (version 1)');
    expect(lines[2]).toMatch(/^\/v2 outputs: probabilities=\[/);
    expect(lines[3]).toMatch(/^requests today: \d+/);
  });

  it('should give typed errors: a problem on /v1', async () => {
    const client = createModelgateClient({ baseUrl: server.url, apiKey: partner });
    const { error, response } = await client.POST('/v1/models/{name}/predict', {
      params: { path: { name: 'nope' } },
      body: { instances: [[1, 2, 3, 4]] },
    });
    expect(response.status).toBe(404);
    expect(error).toMatchObject({ code: 'model_not_found', status: 404 });
    expect(() => createModelgateClient({ baseUrl: server.url })).toThrow(/exactly one/);
  });

  it('should run the curl examples (examples/curl.sh)', async () => {
    const result = await run('bash', [join(ROOT, 'examples', 'curl.sh')], {
      env: { PATH: process.env.PATH, MODELGATE_URL: server.url, MODELGATE_API_KEY: partner },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.stdout).toContain('"predictions":[{"label":"setosa"');
    expect(result.stdout).toContain('"id":"curl-1"');
    // The binary request's answer is JSON here (the output was not asked for in binary form).
    expect(result.stdout).toMatch(/"name":"probabilities","shape":\[1,3\],"datatype":"FP32","data":\[0\.99/);
  });

  pythonGrpc(
    'should answer a Python grpcio client built from the committed proto (examples/python/kserve_grpc.py)',
    async () => {
      const result = await run(PYTHON!, [join(ROOT, 'examples', 'python', 'kserve_grpc.py'), `127.0.0.1:${grpcPort}`], {
        env: { ...process.env, MODELGATE_API_KEY: partner },
        encoding: 'utf8',
        timeout: 60_000,
      });
      const answer = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as {
        server: string;
        probabilities: number[][];
      };
      expect(answer.server).toBe('modelgate');
      expect(answer.probabilities).toHaveLength(2);
      expect(answer.probabilities[0][0]).toBeGreaterThan(0.9);
    },
  );
});
