import { describe, expect, it } from 'vitest';
import { ConfigValidationError } from './config.errors';
import { loadConfiguration } from './configuration';

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
});
