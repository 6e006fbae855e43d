/** Docs tests: the code a page quotes, taken from its example file. */
import { expect } from 'vitest';

/**
 * The lines between `// #region name` and `// #endregion name` of `source`, with their common indentation
 * removed: what a docs page quotes in a code block. Fails the test when the region is missing.
 */
export function region(source: string, name: string): string {
  const lines = source.split('\n');
  const start = lines.findIndex((l) => l.trim() === `// #region ${name}`);
  const end = lines.findIndex((l) => l.trim() === `// #endregion ${name}`);
  expect(start, `// #region ${name}`).toBeGreaterThanOrEqual(0);
  expect(end, `// #endregion ${name}`).toBeGreaterThan(start);
  const body = lines.slice(start + 1, end);
  const indent = Math.min(...body.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  return body.map((l) => l.slice(indent)).join('\n');
}
