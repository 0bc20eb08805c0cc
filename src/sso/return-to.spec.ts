import { describe, expect, it } from 'vitest';
import { DEFAULT_RETURN_TO, safeReturnTo } from './return-to';

describe(safeReturnTo.name, () => {
  const origin = 'https://models.example.com';

  it('should keep a path of this origin, with its query and fragment', () => {
    expect(safeReturnTo('/console', origin)).toBe('/console');
    expect(safeReturnTo('/console/models/iris?tab=versions#aliases', origin)).toBe(
      '/console/models/iris?tab=versions#aliases',
    );
    expect(safeReturnTo('/console/a%20b', origin)).toBe('/console/a%20b');
  });

  it('should fall back to /console for what is absent, not a string or too long', () => {
    for (const value of [undefined, null, '', 42, ['/console'], `/${'a'.repeat(2048)}`]) {
      expect(safeReturnTo(value, origin)).toBe(DEFAULT_RETURN_TO);
    }
  });

  it('should refuse every way out of the origin, encoded or not', () => {
    const attempts = [
      '//evil.example',
      '///evil.example',
      '/\\evil.example',
      '\\/evil.example',
      '/\\/evil.example',
      'https://evil.example',
      'https://models.example.com.evil.example/console',
      'http://models.example.com/console',
      'javascript:alert(1)',
      'data:text/html,hi',
      'evil.example',
      'console',
      '%2F%2Fevil.example',
      '/%2Fevil.example',
      '/%2f%2fevil.example',
      '/%5Cevil.example',
      '/%5cevil.example',
      '%252F%252Fevil.example',
      '/%25252F%25252Fevil.example',
      '/\tevil.example',
      '/\nevil.example',
      '/%09/evil.example',
      '/%0d%0aSet-Cookie:x=y',
      '/ /evil.example',
      '/%E0%A4%A',
      '/console\u0000',
    ];
    for (const attempt of attempts) expect(safeReturnTo(attempt, origin), attempt).toBe(DEFAULT_RETURN_TO);
  });
});
