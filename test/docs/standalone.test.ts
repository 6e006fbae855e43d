/**
 * Every file in docs/examples/ runs on its own: `node dist/docs/examples/NAME.js` prints what it did and exits
 * 0 (real UDP on 127.0.0.1), and importing it (as the guide tests do) runs nothing. The build is {@link buildOnce}'s.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildOnce } from '../helpers/build.js';

const exec = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const EXAMPLES = readdirSync(`${ROOT}docs/examples`)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3))
  .sort();

beforeAll(async () => {
  await buildOnce(EXAMPLES.map((name) => `dist/docs/examples/${name}.js`));
}, 240_000);

describe('docs/examples run on their own', () => {
  it('there are examples to run', () => {
    expect(EXAMPLES).toContain('overlay-app');
    expect(EXAMPLES).toContain('dht-guide');
  });

  it.each(EXAMPLES)('node dist/docs/examples/%s.js prints what it did and exits 0', async (name) => {
    const { stdout, stderr } = await exec(process.execPath, [`${ROOT}dist/docs/examples/${name}.js`], { cwd: ROOT, timeout: 50_000 });
    expect(stderr).toBe('');
    const lines = stdout.trim().split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
