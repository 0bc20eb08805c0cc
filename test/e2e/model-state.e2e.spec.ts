import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminKey, eventually, issueApiKey } from '../support/credentials';
import { addModel } from '../support/models';
import { startTestApp, TestApp } from '../support/test-app';

const withRealPostgres = process.env.DATABASE_URL ? describe : describe.skip;
// A name no other test file serves: loads and unloads reach every instance on the database.
const MODEL = 'state-sync';
const BODY = JSON.stringify({ inputs: { a: [[1, 2]], b: [[3, 4]] } });

withRealPostgres('Model state across instances', () => {
  let repository: string;
  let a: TestApp;
  let b: TestApp;
  let admin: string;
  let partner: string;

  const predict = async (server: TestApp) => {
    const response = await fetch(`${server.url}/v1/models/${MODEL}/versions/1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': partner },
      body: BODY,
    });
    await response.arrayBuffer();
    return response.status;
  };
  const adminPost = (server: TestApp, action: string) =>
    fetch(`${server.url}/v1/admin/models/${MODEL}/versions/1/${action}`, {
      method: 'POST',
      headers: { 'x-api-key': admin },
    });

  beforeAll(async () => {
    repository = mkdtempSync(join(tmpdir(), 'modelgate-state-'));
    mkdirSync(join(repository, MODEL, '1'), { recursive: true });
    writeFileSync(join(repository, MODEL, '1', 'model.onnx'), addModel(onnx.TensorProto.DataType.FLOAT, ['batch', 2]));
    const env = { MODEL_REPOSITORY: repository, CREDENTIAL_POLL_INTERVAL_MS: '200' };
    [a, b] = await Promise.all([startTestApp(env), startTestApp(env)]);
    admin = await createAdminKey(a);
    partner = (await issueApiKey(a, admin, { scopes: ['models:infer'] })).key;
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    rmSync(repository, { recursive: true, force: true });
  });

  it('should unload and load a version on every instance, whichever instance the admin asked', async () => {
    expect([await predict(a), await predict(b)]).toEqual([200, 200]);

    expect(await (await adminPost(a, 'unload')).json()).toMatchObject({ state: 'UNAVAILABLE' });
    expect(await predict(a)).toBe(503);
    await eventually(async () => (await predict(b)) === 503, 5_000);

    expect(await (await adminPost(b, 'load')).json()).toMatchObject({ state: 'READY' });
    expect(await predict(b)).toBe(200);
    await eventually(async () => (await predict(a)) === 200, 5_000);
  });

  it('should not let an older change from elsewhere undo a newer one', async () => {
    // B loads before its poll has brought A's unload: from then on B must keep serving.
    expect((await adminPost(a, 'unload')).status).toBe(200);
    expect((await adminPost(b, 'load')).status).toBe(200);
    const statuses = new Set<number>();
    for (const deadline = Date.now() + 1_500; Date.now() < deadline;) statuses.add(await predict(b));
    expect([...statuses]).toEqual([200]);
    await eventually(async () => (await predict(a)) === 200, 5_000);
  });
});
