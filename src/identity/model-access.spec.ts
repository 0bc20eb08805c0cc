import { describe, expect, it } from 'vitest';
import { modelAllowed } from './model-access';

describe('modelAllowed', () => {
  it('should allow everything with *', () => {
    expect(modelAllowed(['*'], 'iris')).toBe(true);
  });

  it('should match exact names and globs only', () => {
    expect(modelAllowed(['iris', 'fraud-*'], 'iris')).toBe(true);
    expect(modelAllowed(['iris', 'fraud-*'], 'fraud-v2')).toBe(true);
    expect(modelAllowed(['iris', 'fraud-*'], 'fraud')).toBe(false);
    expect(modelAllowed(['iris', 'fraud-*'], 'iris2')).toBe(false);
    expect(modelAllowed(['ir.s'], 'iris')).toBe(false);
  });

  it('should allow nothing with an empty list', () => {
    expect(modelAllowed([], 'iris')).toBe(false);
  });
});
