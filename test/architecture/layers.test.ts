import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe('layering', () => {
  it('framework/ never imports from communities/, cli/ or bench/', () => {
    const offenders = tsFiles(join(root, 'framework')).filter((file) =>
      /from\s+['"][^'"]*\/(communities|cli|bench)\//.test(readFileSync(file, 'utf8')),
    );
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });

  it('every relative import uses an explicit .js suffix (ESM)', () => {
    const bad: string[] = [];
    for (const dir of ['framework', 'communities']) {
      for (const file of tsFiles(join(root, dir))) {
        for (const m of readFileSync(file, 'utf8').matchAll(/from\s+['"](\.[^'"]+)['"]/g)) {
          if (!m[1]!.endsWith('.js')) bad.push(`${relative(root, file)}: ${m[1]}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });
});
