import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const MAIN = join(__dirname, '..', '..', 'dist', 'src', 'main.js');

describe('Start-up', () => {
  it('should exit non-zero naming each invalid variable', () => {
    expect(existsSync(MAIN), 'run `npm run build` first (npm test does)').toBe(true);
    const result = spawnSync(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH, PORT: 'not-a-port', BODY_LIMIT_BYTES: '12', DATABASE_URL: 'http://x' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Invalid configuration');
    expect(result.stderr).toContain('PORT');
    expect(result.stderr).toContain('BODY_LIMIT_BYTES');
    expect(result.stderr).toContain('DATABASE_URL');
  });
});
