/**
 * The build the process-level tests run (`dist/`, as `npm run build` makes it), made at most once per change of
 * the sources: five test files need it, and each used to run its own `tsc -p tsconfig.build.json` (about 27 s of
 * CPU each on the 2-core CI box, often two at once writing the same files). A lock serializes the test files that
 * call {@link buildOnce}; the first one builds, the others find a stamp newer than every source and skip.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
/** Repository root. */
const ROOT = new URL('../../', import.meta.url).pathname;
/** What tsconfig.build.json compiles, and the files that change how. */
const SOURCES = ['framework', 'communities', 'cli', 'bench', 'docs/examples', 'docs/api.ts', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];
/** Where the stamp and the lock live (not in dist/, which `npm pack` ships). */
const CACHE = `${ROOT}node_modules/.cache/peerlay-test-build`;
/** Holds the start time (ms) of the last build that finished. */
const STAMP = `${CACHE}/stamp`;
/** Exists (holding its owner's pid) while a test file builds or checks the stamp. */
const LOCK = `${CACHE}/lock`;
const LOCK_WAIT_MS = 180_000;
const POLL_MS = 100;

/** The newest modification time (ms) of a file under `path`. */
function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted or renamed file changes its directory
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function lock(): Promise<void> {
  mkdirSync(CACHE, { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      return;
    } catch {
      let owner = NaN;
      try {
        owner = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
      } catch {
        // the owner has made the lock and not yet written its pid, or has just removed it
      }
      if (Number.isInteger(owner) && owner > 0 && !alive(owner)) rmSync(LOCK, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`another test file held ${LOCK} for ${LOCK_WAIT_MS} ms`);
      else await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
}

/**
 * Builds `dist/` with `tsc -p tsconfig.build.json` unless the last build started after every source last changed,
 * then checks that each of `outputs` (paths under the repository root) exists and is at least that recent.
 * The build emits even with type errors elsewhere (the type check is `npm run typecheck`'s job).
 */
export async function buildOnce(outputs: readonly string[]): Promise<void> {
  await lock();
  try {
    const changed = Math.max(...SOURCES.map((s) => newestMtime(`${ROOT}${s}`)));
    const stamp = existsSync(STAMP) ? Number(readFileSync(STAMP, 'utf8')) : 0;
    let builtAt = stamp;
    if (!(stamp > changed) || !outputs.every((o) => existsSync(`${ROOT}${o}`))) {
      builtAt = Date.now();
      await exec(process.execPath, [`${ROOT}node_modules/typescript/bin/tsc`, '-p', 'tsconfig.build.json'], { cwd: ROOT }).catch(() => undefined);
      if (existsSync(`${ROOT}dist/cli/main.js`)) chmodSync(`${ROOT}dist/cli/main.js`, 0o755); // as `npm run build` does: tsc does not set the executable bit the bin needs
      writeFileSync(STAMP, String(builtAt));
      console.log(`buildOnce: built dist/ in ${Date.now() - builtAt} ms (a source changed since the last build)`);
    }
    for (const o of outputs) {
      if (!existsSync(`${ROOT}${o}`) || statSync(`${ROOT}${o}`).mtimeMs < builtAt - 1_000) throw new Error(`the build did not produce ${o}`);
    }
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
