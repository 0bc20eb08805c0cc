import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../common/errors/domain.error';
import { ModelEntry } from './model-registry.service';
import { parseModelConfig } from './store/model-config';
import { lifecycleOf, lifecycleState } from './version-lifecycle';

function entry(config: object): ModelEntry {
  return { name: 'iris', config: parseModelConfig(JSON.stringify(config)), versions: new Map() };
}

describe('version lifecycle', () => {
  const iris = entry({
    versions: { '1': { deprecatedAt: '2026-01-01T00:00:00Z', sunsetAt: '2026-06-30T12:00:00Z' } },
  });

  it('should give a deprecated version RFC 9745 and RFC 8594 headers', () => {
    expect(lifecycleOf(iris, 1, Date.parse('2026-03-01T00:00:00Z'))).toMatchObject({
      deprecation: '@1767225600',
      sunset: 'Tue, 30 Jun 2026 12:00:00 GMT',
      link: '</v1/models/iris>; rel="sunset"',
    });
    expect(lifecycleOf(iris, 2)).toBeUndefined();
    expect(lifecycleOf(entry({}), 1)).toBeUndefined();
  });

  it('should refuse a version after its sunset with model_version_sunset (410)', () => {
    let error: unknown;
    try {
      lifecycleOf(iris, 1, Date.parse('2026-06-30T12:00:00Z'));
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('model_version_sunset');
    expect(lifecycleState(iris, 1, Date.parse('2026-07-01T00:00:00Z'))).toEqual({ deprecated: true, gone: true });
    expect(lifecycleState(iris, 1, Date.parse('2025-07-01T00:00:00Z'))).toEqual({ deprecated: false, gone: false });
  });

  it.each([
    [{ versions: { x: {} } }, /not a version number/],
    [{ versions: { '1': { sunsetAt: 'tomorrow' } } }, /sunsetAt/],
    [{ aliases: { canary: { versions: { '1': 90, '2': 20 } } } }, /not valid/],
    [{ aliases: { canary: { versions: { '1': 89.5, '2': 10.5 } } } }, /not valid/],
    [{ shadow: { version: 2, percent: 0 } }, /percent/],
  ])('should reject config.json %j', (config, reason) => {
    expect(() => parseModelConfig(JSON.stringify(config))).toThrow(reason);
  });
});
