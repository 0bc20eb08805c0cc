import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createAdminKey, issueApiKey } from '../support/credentials';
import { COMMITTED_MODELS } from '../support/models';
import { startTestApp, TestApp } from '../support/test-app';

const withRealPostgres = process.env.DATABASE_URL ? describe : describe.skip;
const IRIS = JSON.stringify({ instances: [[5.1, 3.5, 1.4, 0.2]] });
// The live view counts every instance's traffic, other test files' included: a model of this file's own.
const MODEL = `live-iris-${process.pid}`;

interface Frame {
  at: string;
  models: { model: string; version: string | null; requests: number; errors: number; p95LatencyMs: number | null }[];
}

/** Collects the frames of a live connection. */
async function watch(url: string, headers: Record<string, string>): Promise<{ frames: Frame[]; close: () => void }> {
  const socket = new WebSocket(`${url.replace('http', 'ws')}/v1/admin/usage/live`, { headers });
  const frames: Frame[] = [];
  socket.on('message', (data: Buffer) => frames.push(JSON.parse(data.toString()) as Frame));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return { frames, close: () => socket.close() };
}

/** The status a refused upgrade answered with. */
function refusedWith(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url.replace('http', 'ws')}/v1/admin/usage/live`, { headers });
    socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    socket.once('open', () => reject(new Error('the upgrade was accepted')));
  });
}

const total = (frames: Frame[], model: string, field: 'requests' | 'errors') =>
  frames
    .flatMap((frame) => frame.models)
    .filter((row) => row.model === model)
    .reduce((sum, row) => sum + row[field], 0);

async function send(url: string, key: string, count: number, body = IRIS): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    const response = await fetch(`${url}/v1/models/${MODEL}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body,
    });
    await response.arrayBuffer();
  }
}

/** Waits until the frames have moved past the moment traffic stopped (plus the view's lag). */
async function framesPast(frames: Frame[], stoppedAt: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const last = frames.at(-1);
    if (last && Date.parse(last.at) > stoppedAt) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('no frame covered the end of the traffic');
}

describe('Live usage (WebSocket)', () => {
  let server: TestApp;
  let admin: string;
  const repository = mkdtempSync(join(tmpdir(), 'modelgate-live-'));
  const env = { USAGE_FLUSH_INTERVAL_MS: '200', MODEL_REPOSITORY: repository };

  beforeAll(async () => {
    cpSync(join(COMMITTED_MODELS, 'iris'), join(repository, MODEL), { recursive: true });
    cpSync(join(COMMITTED_MODELS, 'mlp'), join(repository, 'mlp'), { recursive: true });
    server = await startTestApp(env);
    admin = await createAdminKey(server);
  });

  afterAll(async () => {
    await server.close();
    rmSync(repository, { recursive: true, force: true });
  });

  it('should send a frame each second that counts every request and error of each model version', async () => {
    const partner = await issueApiKey(server, admin, { scopes: ['models:infer'] });
    const live = await watch(server.url, { 'x-api-key': admin });
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const startedAt = Date.now();
      await send(server.url, partner.key, 40);
      await send(server.url, partner.key, 5, '{"instances": [[1, 2]]}'); // 400: wrong shape
      const stoppedAt = Date.now();
      await framesPast(live.frames, stoppedAt);
      const during = live.frames.filter((frame) => Date.parse(frame.at) >= startedAt - 1000);
      expect(total(during, MODEL, 'requests')).toBe(45);
      expect(total(during, MODEL, 'errors')).toBe(5);
      const row = during.flatMap((frame) => frame.models).find((item) => item.model === MODEL)!;
      expect(row).toMatchObject({ version: expect.any(String), p95LatencyMs: expect.any(Number) });
      // One frame per second, none repeated or skipped.
      const seconds = live.frames.map((frame) => Date.parse(frame.at));
      expect(seconds.every((at, index) => index === 0 || at - seconds[index - 1] === 1000)).toBe(true);
    } finally {
      live.close();
    }
  }, 40_000);

  it('should refuse without credentials (401), short of usage:admin (403), and answer a plain GET with 426', async () => {
    expect(await refusedWith(server.url, {})).toBe(401);
    const reader = await issueApiKey(server, admin, { scopes: ['usage:read', 'models:read'] });
    expect(await refusedWith(server.url, { 'x-api-key': reader.key })).toBe(403);
    const plain = await fetch(`${server.url}/v1/admin/usage/live`, { headers: { 'x-api-key': admin } });
    expect(plain.status).toBe(426);
    expect(plain.headers.get('content-type')).toMatch(/problem\+json/);
  });

  it('should show a restricted admin only the models of its allow-list', async () => {
    const partner = await issueApiKey(server, admin, { scopes: ['models:infer'] });
    const mlpOnly = await issueApiKey(server, admin, { scopes: ['usage:admin'], models: ['mlp'] });
    const live = await watch(server.url, { 'x-api-key': mlpOnly.key });
    try {
      await send(server.url, partner.key, 5);
      await framesPast(live.frames, Date.now());
      expect(live.frames.length).toBeGreaterThan(0);
      expect(total(live.frames, MODEL, 'requests')).toBe(0);
    } finally {
      live.close();
    }
  }, 40_000);

  withRealPostgres('across instances', () => {
    it('should count the requests every instance served', async () => {
      const other = await startTestApp(env);
      try {
        const partner = await issueApiKey(server, admin, { scopes: ['models:infer'] });
        const live = await watch(server.url, { 'x-api-key': admin });
        try {
          await new Promise((resolve) => setTimeout(resolve, 1500));
          const startedAt = Date.now();
          await Promise.all([send(server.url, partner.key, 20), send(other.url, partner.key, 30)]);
          const stoppedAt = Date.now();
          await framesPast(live.frames, stoppedAt);
          const during = live.frames.filter((frame) => Date.parse(frame.at) >= startedAt - 1000);
          expect(total(during, MODEL, 'requests')).toBe(50);
        } finally {
          live.close();
        }
      } finally {
        await other.close();
      }
    }, 60_000);
  });
});
