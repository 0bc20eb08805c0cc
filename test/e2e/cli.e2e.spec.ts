import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DIST_CLI } from '../support/server-process';

describe('The CLI, for scripted admins', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'modelgate-cli-'));
  const env = {
    PATH: process.env.PATH,
    EMBEDDED_DATA_DIR: join(scratch, 'db'),
    USAGE_JOURNAL_DIR: join(scratch, 'journal'),
    USAGE_SPOOL_DIR: join(scratch, 'spool'),
    MODEL_REPOSITORY: join(scratch, 'no-models'),
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
    LOG_LEVEL: 'warn',
  };
  const cli = (...args: string[]) => {
    const result = spawnSync(process.execPath, [DIST_CLI, ...args], { env, encoding: 'utf8', timeout: 60_000 });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  const json = <T>(...args: string[]): T => {
    const result = cli(...args, '--json');
    expect(result.status, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as T;
  };

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('should create, list, rotate and revoke keys and clients, report usage and export the audit log', () => {
    const since = new Date().toISOString();
    const key = json<{ id: string; key: string; scopes: string[]; rateLimit: unknown }>(
      'keys',
      'create',
      '--name',
      'partner (cli)',
      '--scopes',
      'models:read,models:infer',
      '--rate-limit',
      '120',
    );
    expect(key.key).toMatch(/^mg_live_/);
    expect(key).toMatchObject({ scopes: ['models:read', 'models:infer'], rateLimit: { requestsPerMinute: 120 } });
    const listed = json<{ id: string; name: string; key?: string }[]>('keys', 'list');
    expect(listed.find((item) => item.id === key.id)).toMatchObject({ name: 'partner (cli)' });
    expect(JSON.stringify(listed)).not.toContain(key.key.slice(-38));
    const human = cli('keys', 'list');
    expect(human.stdout.split('\n')[0]).toMatch(/^id\s+name\s+prefix/);
    expect(human.stdout).toContain('partner (cli)');

    const rotated = json<{ key: string }>('keys', 'rotate', key.id, '--grace-seconds', '0');
    expect(rotated.key).not.toBe(key.key);
    expect(json<{ revoked: boolean }>('keys', 'revoke', key.id).revoked).toBe(true);

    const client = json<{ clientId: string; clientSecret: string }>(
      'clients',
      'create',
      '--name',
      'batch job',
      '--scopes',
      'models:infer',
      '--token-ttl',
      '600',
    );
    expect(client.clientSecret).toMatch(/^mgs_/);
    expect(json<{ clientId: string }[]>('clients', 'list').map((item) => item.clientId)).toContain(client.clientId);
    const newSecret = json<{ clientSecret: string }>('clients', 'rotate', client.clientId).clientSecret;
    expect(newSecret).not.toBe(client.clientSecret);
    expect(json<{ revoked: boolean }>('clients', 'revoke', client.clientId).revoked).toBe(true);

    expect(json<{ items: unknown[] }>('usage', 'report', '--granularity', 'day', '--group-by', 'model')).toEqual({
      items: expect.any(Array),
    });

    const csv = cli('audit', 'export', '--from', since);
    expect(csv.status, csv.stderr).toBe(0);
    const [header, ...rows] = csv.stdout.trim().split('\n');
    expect(header).toBe(
      'id,at,action,actor_type,actor_id,actor_name,target_type,target_id,request_id,ip,user_agent,changes',
    );
    const actions = rows.map((row) => row.split(',')[2]).reverse();
    expect(actions).toEqual([
      'api_key.created',
      'api_key.rotated',
      'api_key.revoked',
      'oauth_client.created',
      'oauth_client.secret_rotated',
      'oauth_client.deleted',
    ]);
    expect(rows.every((row) => row.includes(`,user,cli:${userInfo().username},`))).toBe(true);
    for (const secret of [key.key, rotated.key, client.clientSecret, newSecret])
      expect(csv.stdout).not.toContain(secret);
    const exported = json<{ action: string }[]>('audit', 'export', '--from', since, '--action', 'oauth_client.*');
    expect(exported.map((event) => event.action)).toHaveLength(3);
  }, 180_000);

  it('should refuse bad input with exit status 2 and a message, and unknown ids with 1', () => {
    const badScope = cli('keys', 'create', '--name', 'x', '--scopes', 'models:root');
    expect(badScope.status).toBe(2);
    expect(badScope.stderr).toMatch(/scopes/);
    expect(cli('keys', 'create', '--scopes', 'models:read').stderr).toMatch(/--name is required/);
    expect(cli('keys', 'rotate', key0(), '--grace-seconds', 'soon').status).toBe(2);
    expect(cli('audit', 'export', '--format', 'xml').status).toBe(2);
    expect(cli('frobnicate').status).toBe(2);
    const unknown = cli('keys', 'revoke', '00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/No API key/);
  }, 120_000);
});

function key0(): string {
  return '00000000-0000-4000-8000-000000000000';
}
