import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Clock } from '../../src/rate-limit/clock';
import { uuidV7 } from '../../src/common/request-id';
import { UsageEventsRepository } from '../../src/usage/usage-events.repository';
import { UsageRecorder } from '../../src/usage/usage-recorder.service';
import { createAdminKey, issueApiKey } from '../support/credentials';
import { startTestApp, TestApp } from '../support/test-app';
import { usageRowOf } from '../support/usage-event';

interface UsageEventBody {
  requestId: string;
  principalId: string;
  principalType: string;
  apiVersion: string;
  route: string;
  model: string | null;
  modelVersion: string | null;
  status: number;
  errorCode: string | null;
  latencyMs: number;
  inferMs: number | null;
  requestBytes: number;
  responseBytes: number;
  batchItems: number | null;
}

describe('Usage metering', () => {
  let server: TestApp;
  let admin: string;

  const predict = (key: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/v1/models/iris/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key, ...headers },
      body: JSON.stringify(body),
    });
  const asAdmin = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { headers: { 'x-api-key': admin, ...headers } });
  const flush = () => server.app.get(UsageRecorder).flush(true);
  const eventsOf = async (principalId: string): Promise<UsageEventBody[]> => {
    await flush();
    const body = (await (await asAdmin(`/v1/admin/usage/events?principalId=${principalId}&limit=1000`)).json()) as {
      items: UsageEventBody[];
    };
    return body.items;
  };

  beforeAll(async () => {
    server = await startTestApp({ USAGE_FLUSH_INTERVAL_MS: '100' });
    admin = await createAdminKey(server);
  });

  afterAll(async () => {
    await server.close();
  });

  it('should record one event per authenticated request with what happened', async () => {
    const partner = await issueApiKey(server, admin, { scopes: ['models:infer', 'usage:read'] });
    const ok = await predict(partner.key, {
      inputs: {
        input: [
          [5.1, 3.5, 1.4, 0.2],
          [6.7, 3.0, 5.2, 2.3],
        ],
      },
    });
    const bad = await predict(partner.key, { inputs: { input: [[1, 2]] } });
    const missing = await fetch(`${server.url}/v2/models/nope/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': partner.key },
      body: '{}',
    });
    await fetch(`${server.url}/v1/models/iris/predict`, { method: 'POST' }); // unauthenticated: not metered
    expect([ok.status, bad.status, missing.status]).toEqual([200, 400, 404]);

    const events = await eventsOf(partner.id);
    expect(events).toHaveLength(3);
    const success = events.find((event) => event.status === 200)!;
    expect(success).toMatchObject({
      requestId: ok.headers.get('x-request-id'),
      principalType: 'api_key',
      principalId: partner.id,
      apiVersion: 'v1',
      route: '/v1/models/:name/predict',
      model: 'iris',
      modelVersion: '1',
      errorCode: null,
      batchItems: 2,
    });
    expect(success.latencyMs).toBeGreaterThan(0);
    expect(success.inferMs).toBeGreaterThan(0);
    expect(success.requestBytes).toBeGreaterThan(0);
    expect(success.responseBytes).toBeGreaterThan(0);
    expect(events.find((event) => event.status === 400)).toMatchObject({
      errorCode: 'invalid_input_shape',
      model: 'iris',
    });
    expect(events.find((event) => event.status === 404)).toMatchObject({
      apiVersion: 'v2',
      errorCode: 'model_not_found',
    });
  });

  it('should not count a retried request id twice', async () => {
    const partner = await issueApiKey(server, admin, { scopes: ['models:infer'] });
    for (let attempt = 0; attempt < 3; attempt++) {
      await predict(partner.key, { instances: [[5.1, 3.5, 1.4, 0.2]] }, { 'x-request-id': 'retry-me-1' });
    }
    await predict(partner.key, { instances: [[5.1, 3.5, 1.4, 0.2]] }, { 'x-request-id': 'another-1' });
    const events = await eventsOf(partner.id);
    expect(events.map((event) => event.requestId).sort()).toEqual(['another-1', 'retry-me-1']);
  });

  it('should count a replayed batch once, whoever chose its request ids', async () => {
    const partner = await issueApiKey(server, admin, { scopes: ['models:infer'] });
    const event = (requestId: string, requestIdFromClient: boolean, occurredAt: number) =>
      usageRowOf({
        requestId,
        requestIdFromClient,
        principalId: partner.id,
        occurredAt: new Date(occurredAt).toISOString(),
      });
    const now = Date.now();
    const serverId = uuidV7(now);
    const batch = [event(serverId, false, now), event('client-chosen-1', true, now)];
    const repository = server.app.get(UsageEventsRepository);
    await repository.insertBatch(batch, { unwritten: true });
    await repository.insertBatch(batch); // a batch replayed after its commit went unacknowledged
    await repository.insertBatch([event('client-chosen-1', true, now + 1000)]); // the client retrying, later
    const events = await eventsOf(partner.id);
    expect(events.map((item) => item.requestId).sort()).toEqual(['client-chosen-1', serverId].sort());
    const report = (await (await asAdmin('/v1/admin/usage?groupBy=principal&granularity=day')).json()) as {
      items: { principalId: string; requests: number }[];
    };
    expect(report.items.filter((item) => item.principalId === partner.id).map((item) => item.requests)).toEqual([2]);
  });

  it('should meter token requests by client', async () => {
    const client = (await (
      await fetch(`${server.url}/v1/admin/oauth-clients`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': admin },
        body: JSON.stringify({ name: 'metered', scopes: ['models:read'] }),
      })
    ).json()) as { clientId: string; clientSecret: string };
    await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: client.clientId,
        client_secret: client.clientSecret,
      }),
    });
    expect(await eventsOf(client.clientId)).toMatchObject([
      { apiVersion: 'oauth', principalType: 'oauth_client', route: '/oauth/token', status: 200 },
    ]);
  });

  it('should report aggregates that equal the raw events', async () => {
    const partner = await issueApiKey(server, admin, { scopes: ['models:infer', 'usage:read'] });
    for (let i = 0; i < 12; i++)
      await predict(partner.key, { inputs: { input: [[5.1, 3.5, 1.4, i % 4 === 0 ? 'x' : 0.2]] } });
    await fetch(`${server.url}/v1/models/iris/versions/2/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': partner.key },
      body: JSON.stringify({ instances: [[5.1, 3.5, 1.4, 0.2]] }),
    });
    const events = await eventsOf(partner.id);
    expect(events).toHaveLength(13);

    const response = await asAdmin('/v1/admin/usage?groupBy=principal,model,version,status&granularity=day');
    expect(response.status).toBe(200);
    const items = (
      (await response.json()) as {
        items: {
          principalId: string;
          version: string;
          status: number;
          requests: number;
          errors: number;
          avgLatencyMs: number;
          p95LatencyMs: number;
        }[];
      }
    ).items.filter((item) => item.principalId === partner.id);
    const key = (event: { modelVersion?: string | null; version?: string | null; status: number }) =>
      `${event.modelVersion ?? event.version}/${event.status}`;
    const groups = new Map<string, UsageEventBody[]>();
    for (const event of events) groups.set(key(event), [...(groups.get(key(event)) ?? []), event]);
    expect(items).toHaveLength(groups.size);
    for (const item of items) {
      const group = groups.get(`${item.version}/${item.status}`)!;
      expect(item.requests).toBe(group.length);
      expect(item.errors).toBe(group.filter((event) => event.status >= 400).length);
      const average = group.reduce((sum, event) => sum + event.latencyMs, 0) / group.length;
      expect(item.avgLatencyMs).toBeCloseTo(average, 2);
      const sorted = group.map((event) => event.latencyMs).sort((a, b) => a - b);
      const p95 = sorted[Math.ceil(sorted.length * 0.95) - 1];
      expect(item.p95LatencyMs).toBeGreaterThanOrEqual(p95 - 0.01);
      expect(item.p95LatencyMs).toBeLessThanOrEqual(p95 * 1.2 + 0.11);
    }

    const own = (await (
      await fetch(`${server.url}/v1/usage?granularity=hour`, { headers: { 'x-api-key': partner.key } })
    ).json()) as {
      items: { requests: number; errors: number }[];
    };
    expect(own.items.reduce((sum, item) => sum + item.requests, 0)).toBe(13);
    expect(own.items.reduce((sum, item) => sum + item.errors, 0)).toBe(3);
  });

  it('should stream events as CSV', async () => {
    const partner = await issueApiKey(server, admin, { scopes: ['models:infer'] });
    for (let i = 0; i < 3; i++) await predict(partner.key, { instances: [[5.1, 3.5, 1.4, 0.2]] });
    await flush();
    for (const request of [
      asAdmin(`/v1/admin/usage/events?principalId=${partner.id}&format=csv`),
      asAdmin(`/v1/admin/usage/events?principalId=${partner.id}`, { accept: 'text/csv' }),
    ]) {
      const response = await request;
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
      const lines = (await response.text()).trim().split('\n');
      expect(lines[0]).toMatch(/^occurredAt,requestId,principalType,principalId/);
      expect(lines.slice(1)).toHaveLength(3);
      expect(lines[1]).toContain(partner.id);
    }
  });

  it('should validate report queries', async () => {
    expect((await asAdmin('/v1/admin/usage?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z')).status).toBe(400);
    expect((await asAdmin('/v1/admin/usage?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z')).status).toBe(400);
    expect((await asAdmin('/v1/admin/usage?groupBy=principal,color')).status).toBe(400);
    expect((await asAdmin('/v1/admin/usage?granularity=minute')).status).toBe(400);
    expect((await asAdmin('/v1/admin/usage/events?cursor=nope')).status).toBe(400);
    expect((await asAdmin('/v1/admin/usage?from=yesterday')).status).toBe(400);
  });
});

describe('Rate limits and quotas', () => {
  let server: TestApp;
  let admin: string;

  const call = (key: string) =>
    fetch(`${server.url}/v1/models/iris/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ instances: [[5.1, 3.5, 1.4, 0.2]] }),
    });

  beforeAll(async () => {
    server = await startTestApp();
    admin = await createAdminKey(server);
  });

  afterAll(async () => {
    await server.close();
  });

  it('should answer 429 with Retry-After and the IETF RateLimit fields past the per-minute limit', async () => {
    const key = (await issueApiKey(server, admin, { scopes: ['models:infer'], rateLimit: { requestsPerMinute: 5 } }))
      .key;
    const statuses: number[] = [];
    let first: Response | undefined;
    let limited: Response | undefined;
    for (let i = 0; i < 7; i++) {
      const response = await call(key);
      statuses.push(response.status);
      first ??= response;
      if (response.status === 429) limited ??= response;
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(first!.headers.get('ratelimit-policy')).toBe('"minute";q=5;w=60');
    expect(first!.headers.get('ratelimit')).toMatch(/^"minute";r=4;t=\d+$/);
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited!.headers.get('ratelimit')).toMatch(/^"minute";r=0;t=\d+$/);
    expect(await limited!.json()).toMatchObject({ status: 429, code: 'rate_limited' });
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
  });

  it('should reset the monthly quota at the month boundary', async () => {
    const clock = server.app.get(Clock);
    let now = new Date('2031-01-31T23:59:00Z');
    clock.now = () => now;
    try {
      const key = (await issueApiKey(server, admin, { scopes: ['models:infer'], quota: { requestsPerMonth: 3 } })).key;
      expect([(await call(key)).status, (await call(key)).status, (await call(key)).status]).toEqual([200, 200, 200]);
      const exhausted = await call(key);
      expect(exhausted.status).toBe(429);
      expect(await exhausted.json()).toMatchObject({ code: 'quota_exceeded' });
      expect(Number(exhausted.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      expect(exhausted.headers.get('ratelimit-policy')).toContain('"month";q=3;w=60');
      now = new Date('2031-02-01T00:00:01Z');
      expect((await call(key)).status).toBe(200);
    } finally {
      clock.now = () => new Date();
    }
  });
});
