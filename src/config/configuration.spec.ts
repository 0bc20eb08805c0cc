import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigValidationError } from './config.errors';
import { configurationVariables, loadConfiguration } from './configuration';

describe(loadConfiguration.name, () => {
  it('should apply defaults to an empty environment', () => {
    const configuration = loadConfiguration({});
    expect(configuration.app.port).toBe(3000);
    expect(configuration.app.publicUrl).toBe('http://localhost:3000');
    expect(configuration.database.url).toBeUndefined();
    expect(configuration.database.migrationsRun).toBe(true);
  });

  it('should parse typed values', () => {
    const configuration = loadConfiguration({
      PORT: '8080',
      DATABASE_URL: 'postgresql://u@db:5432/modelgate',
      DATABASE_MIGRATIONS_RUN: 'false',
      CORS_ORIGINS: 'https://a.example, https://b.example',
    });
    expect(configuration.app.port).toBe(8080);
    expect(configuration.database.migrationsRun).toBe(false);
    expect(configuration.app.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
  });

  it('should name every invalid variable at once', () => {
    let error: unknown;
    try {
      loadConfiguration({ PORT: 'eighty', DATABASE_URL: 'mysql://nope', LOG_LEVEL: 'loud' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    const message = (error as ConfigValidationError).message;
    expect(message).toContain('PORT');
    expect(message).toContain('DATABASE_URL');
    expect(message).toContain('LOG_LEVEL');
    expect((error as ConfigValidationError).problems).toHaveLength(3);
  });

  it('should treat empty values as unset', () => {
    expect(loadConfiguration({ PORT: '', DATABASE_URL: '' }).app.port).toBe(3000);
  });

  describe('settings from files (X_FILE)', () => {
    const secret = (content: string) => {
      const path = join(mkdtempSync(join(tmpdir(), 'config-')), 'secret');
      writeFileSync(path, content);
      return path;
    };
    const problemsOf = (env: Record<string, string>) => {
      try {
        loadConfiguration(env);
      } catch (error) {
        return (error as ConfigValidationError).problems;
      }
      return [];
    };

    it('should read a setting from the file its _FILE variable names, without the trailing newline', () => {
      const configuration = loadConfiguration({
        DATABASE_URL_FILE: secret('postgresql://app:s3cret@db:5432/modelgate\n'),
        METRICS_TOKEN_FILE: secret('token-from-a-secret'),
      });
      expect(configuration.database.url).toBe('postgresql://app:s3cret@db:5432/modelgate');
      expect(configuration.app.metricsToken).toBe('token-from-a-secret');
    });

    it('should validate a value read from a file like any other', () => {
      expect(problemsOf({ DATABASE_URL_FILE: secret('mysql://nope') })).toEqual([
        expect.stringContaining('DATABASE_URL must be a postgres'),
      ]);
    });

    it('should refuse a setting given both ways, and a file that cannot be read', () => {
      expect(
        problemsOf({ DATABASE_URL: 'postgresql://u@db/x', DATABASE_URL_FILE: secret('postgresql://u@db/y') }),
      ).toEqual(['DATABASE_URL_FILE: set DATABASE_URL or DATABASE_URL_FILE, not both']);
      expect(problemsOf({ REDIS_URL_FILE: '/nonexistent/redis-url' })).toEqual([
        'REDIS_URL_FILE: cannot read "/nonexistent/redis-url" (ENOENT)',
      ]);
    });

    it('should know every variable of every namespace', () => {
      const variables = configurationVariables();
      for (const name of ['DATABASE_URL', 'METRICS_TOKEN', 'REDIS_URL', 'PORT', 'GRPC_PORT', 'USAGE_JOURNAL_DIR'])
        expect(variables).toContain(name);
    });
  });
});
