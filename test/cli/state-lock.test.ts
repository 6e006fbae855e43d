/**
 * The state directory's lock (`node.pid`): atomic against processes starting together, stale detection that
 * tells a live writer from an unrelated process holding its pid, takeover of stale locks (and of guards left
 * by a process that died taking one over), and release only by the owner. Real processes race through the
 * lock module, transpiled once into a temporary directory; nobody sleeps.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import ts from 'typescript';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NodeStartError } from '../../cli/errors.js';
import { openStateDir } from '../../cli/node/state-dir.js';
import { formatLockRecord, judgeLock, LOCK_FILE, parseLockRecord, takeLock } from '../../cli/node/state-lock.js';
import type { LockRecord } from '../../cli/node/state-lock.js';
import { ROOT } from './helpers.js';
import { removeTempDirs, tempDir } from './state-files.js';

const LINUX = process.platform === 'linux';
/** How many processes race for one lock. */
const RACERS = 20;
/** How far ahead the racers are told the instant to take the lock at (they spin until then). */
const START_AHEAD_MS = 100;
/** Rounds of each race. */
const ROUNDS = 20;
/** How long each `unlink` takes in the stale-lock race (without the takeover guard, that gives two winners). */
const SLOW_UNLINK_MS = 3;

let moduleDir = '';
const children: ChildProcess[] = [];

/**
 * The child, for as many rounds as it is told: on `go <ms>` it loads the lock module afresh, spins until that
 * wall-clock time (so all racers try within microseconds of each other), takes the lock at argv[2] and prints
 * `won <text>` (then releases it on `release` and prints `released <removed>`) or `lost <error>`. It ends when
 * its stdin closes. With argv[3] `slow-unlink` every file removal takes {@link SLOW_UNLINK_MS}.
 */
const HOLDER = `
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { createInterface } from 'node:readline';
if (process.argv[3] === 'slow-unlink') {
  // A slow file system, or a racer preempted at the worst moment: between reading the stale lock and removing it.
  const unlink = fs.unlinkSync;
  fs.unlinkSync = (path) => {
    const until = Date.now() + ${SLOW_UNLINK_MS};
    while (Date.now() < until);
    unlink(path);
  };
  syncBuiltinESMExports();
}
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
console.log('ready');
let round = 0;
for (let line = await lines.next(); !line.done; line = await lines.next()) {
  // A fresh copy of the module each round, its code not yet compiled, as in a process just started.
  const { takeLock } = await import('./cli/node/state-lock.js?round=' + round++);
  const at = Number(String(line.value).split(' ')[1] ?? 0);
  while (Date.now() < at);
  let lock;
  try {
    lock = takeLock(process.argv[2]);
    console.log('won ' + JSON.stringify(lock.text));
  } catch (error) {
    console.log('lost ' + error.name + ': ' + error.message);
  }
  if (lock) {
    await lines.next();
    console.log('released ' + lock.release());
  }
}
`;

beforeAll(() => {
  // The lock module and the errors it throws, as plain ESM a child process can import.
  moduleDir = mkdtempSync(join(tmpdir(), 'peerlay-lock-module-'));
  for (const file of ['cli/node/state-lock.ts', 'cli/errors.ts', 'framework/errors.ts']) {
    const source = readFileSync(join(ROOT, file), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    const out = join(moduleDir, file.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, outputText);
  }
  writeFileSync(join(moduleDir, 'package.json'), '{ "type": "module" }');
  writeFileSync(join(moduleDir, 'holder.js'), HOLDER);
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
  }
  removeTempDirs();
});

afterAll(() => rmSync(moduleDir, { recursive: true, force: true }));

/** A child process running {@link HOLDER} on one lock file. */
interface Holder {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Resolves when it waits for `go`. */
  readonly ready: Promise<void>;
  /** Resolves with the exit code when it ends. */
  readonly exited: Promise<number | null>;
  /** Tells it to take the lock at `atMs` (wall clock; now if past); resolves with `won <text>` or `lost <error>`. */
  take(atMs?: number): Promise<string>;
  /** Tells it to release the lock it won; resolves with whether the release removed the file. */
  release(): Promise<boolean>;
  /** Ends it (closes its stdin). */
  end(): Promise<number | null>;
}

function holder(lockPath: string, mode = ''): Holder {
  const proc = spawn(process.execPath, [join(moduleDir, 'holder.js'), lockPath, mode], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(proc);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string> => {
    const line = await lines.next();
    if (line.done === true) throw new Error(`holder ${proc.pid} ended early (exit ${String(await exited)})`);
    return String(line.value);
  };
  return {
    proc,
    pid: proc.pid!,
    ready: nextLine().then((line) => void expect(line).toBe('ready')),
    exited,
    take: (atMs = 0) => {
      proc.stdin!.write(`go ${atMs}\n`);
      return nextLine();
    },
    release: async () => {
      proc.stdin!.write('release\n');
      return (await nextLine()) === 'released true';
    },
    end: () => {
      proc.stdin!.end();
      return exited;
    },
  };
}

/** A child that holds the lock `lockPath` until released; resolves once it holds it, with its lock's text. */
async function liveHolder(lockPath: string): Promise<{ holder: Holder; text: string }> {
  const h = holder(lockPath);
  await h.ready;
  const result = await h.take();
  expect(result).toMatch(/^won /);
  return { holder: h, text: JSON.parse(result.slice('won '.length)) as string };
}

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const proc = spawn(process.execPath, ['-e', '']);
  const pid = proc.pid!;
  await new Promise((resolve) => proc.once('exit', resolve));
  return pid;
}

/** What this process writes into a lock (boot and pid namespace), for crafting locks of other processes. */
function thisSystem(): Pick<LockRecord, 'boot' | 'pidns'> {
  if (!LINUX) return {};
  return { boot: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(), pidns: readlinkSync('/proc/self/ns/pid') };
}

/** Field 22 (start time) of `/proc/<pid>/stat`. */
function startTicks(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

/** Whether `pid` runs (for pid 1: whether this environment has one we can see). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockPid(dir: string): number {
  return parseLockRecord(readFileSync(join(dir, LOCK_FILE), 'utf8'))!.pid;
}

/** `RACERS` holders of one lock, started. */
async function racers(lockPath: string, mode = ''): Promise<Holder[]> {
  const holders = Array.from({ length: RACERS }, () => holder(lockPath, mode));
  await Promise.all(holders.map((h) => h.ready));
  return holders;
}

/**
 * One round: every holder takes the lock at one instant; checks that exactly one wins and every other fails
 * naming a pid, that the losers left the winner's lock alone, and that nothing but the lock is left; then the
 * winner releases it.
 */
async function raceRound(holders: readonly Holder[], dir: string): Promise<void> {
  const at = Date.now() + START_AHEAD_MS;
  const results = await Promise.all(holders.map((h) => h.take(at)));
  const winners = holders.filter((_, i) => results[i]!.startsWith('won '));
  expect(winners, results.join('\n')).toHaveLength(1);
  const winner = winners[0]!;
  for (const [i, result] of results.entries()) {
    if (holders[i] === winner) continue;
    expect(result).toMatch(/^lost NodeStartError: another (node|process) \(pid \d+\) is /);
  }
  expect(lockPid(dir)).toBe(winner.pid);
  expect(readdirSync(dir)).toEqual([LOCK_FILE]); // neither a guard nor a temporary file is left
  expect(await winner.release()).toBe(true);
  expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
}

describe('state lock: processes starting together', () => {
  it(`of ${RACERS} processes taking a free lock at once, exactly one gets it; the others fail naming its pid and leave it alone`, async () => {
    const dir = tempDir();
    const holders = await racers(join(dir, LOCK_FILE));
    for (let round = 0; round < ROUNDS; round++) await raceRound(holders, dir);
    await Promise.all(holders.map((h) => h.end()));
  });

  it(`of ${RACERS} processes finding the same stale lock at once, exactly one takes it over (even when removing it is slow)`, async () => {
    const dir = tempDir();
    const holders = await racers(join(dir, LOCK_FILE), 'slow-unlink');
    const pid = await deadPid();
    for (let round = 0; round < ROUNDS; round++) {
      const stale = { pid, ...thisSystem(), start: '1', nonce: `dead-${round}` };
      writeFileSync(join(dir, LOCK_FILE), formatLockRecord(stale));
      await raceRound(holders, dir);
    }
    await Promise.all(holders.map((h) => h.end()));
  });

  it(`of ${RACERS} openStateDir calls in one process at once, exactly one opens the directory`, async () => {
    const dir = tempDir();
    const outcomes = await Promise.allSettled(Array.from({ length: RACERS }, () => openStateDir(dir)));
    const opened = outcomes.filter((o) => o.status === 'fulfilled');
    expect(opened).toHaveLength(1);
    for (const o of outcomes) {
      if (o.status === 'rejected') {
        expect(o.reason).toBeInstanceOf(NodeStartError);
        expect(String(o.reason)).toContain(`this process is using the state directory`);
      }
    }
    expect(lockPid(dir)).toBe(process.pid);
    await opened[0]!.value.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });
});

describe('state lock: stale or held', () => {
  it('refuses a directory whose lock a live process really holds, naming its pid; opens it once that process releases it', async () => {
    const dir = tempDir();
    const { holder: child } = await liveHolder(join(dir, LOCK_FILE));
    const error: unknown = await openStateDir(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeStartError);
    expect((error as Error).message).toContain(`another node (pid ${child.pid}) is using the state directory`);
    if (LINUX) expect((error as Error).message).toContain('is the process that wrote it');
    expect(lockPid(dir)).toBe(child.pid);
    expect(await child.release()).toBe(true);
    const state = await openStateDir(dir);
    expect(lockPid(dir)).toBe(process.pid);
    await state.close();
  });

  it('takes over the lock of a holder killed with SIGKILL (its pid is not running)', async () => {
    const dir = tempDir();
    const { holder: child } = await liveHolder(join(dir, LOCK_FILE));
    child.proc.kill('SIGKILL');
    await child.exited;
    expect(lockPid(dir)).toBe(child.pid); // left behind
    const state = await openStateDir(dir);
    expect(lockPid(dir)).toBe(process.pid);
    expect(state.warnings).toEqual([]);
    await state.close();
  });

  it.runIf(LINUX && running(1))('takes over a lock naming pid 1 (alive, unrelated) whose start time is not pid 1\'s', async () => {
    const dir = tempDir();
    const lockPath = join(dir, LOCK_FILE);
    const record = { pid: 1, ...thisSystem(), start: String(Number(startTicks(1)) + 12_345), nonce: 'before-reboot' };
    expect(judgeLock(record)).toMatchObject({ stale: true, verified: true });
    expect(judgeLock(record).reason).toContain('pid 1 is another process than the one that wrote it');
    writeFileSync(lockPath, formatLockRecord(record));
    const state = await openStateDir(dir);
    expect(lockPid(dir)).toBe(process.pid);
    expect(parseLockRecord(readFileSync(lockPath, 'utf8'))).toMatchObject({ pid: process.pid, start: startTicks(process.pid), ...thisSystem() });
    await state.close();
  });

  it.runIf(LINUX)('judges a lock of an earlier boot stale, and one from another pid namespace stale with a warning', async () => {
    const dir = tempDir();
    const lockPath = join(dir, LOCK_FILE);
    const { boot, pidns } = thisSystem();
    const ppid = { pid: process.ppid, start: startTicks(process.ppid) }; // alive, and really started then
    expect(judgeLock({ ...ppid, boot, pidns })).toMatchObject({ stale: false, verified: true });
    expect(judgeLock({ ...ppid, boot: 'another-boot', pidns })).toMatchObject({ stale: true, reason: expect.stringContaining('earlier boot') });
    writeFileSync(lockPath, formatLockRecord({ ...ppid, boot, pidns: 'pid:[1]', nonce: 'container' }));
    const state = await openStateDir(dir);
    expect(lockPid(dir)).toBe(process.pid);
    expect(state.warnings).toEqual([expect.stringContaining('another pid namespace')]);
    await state.close();
  });

  it('takes over an older pid-only lock naming this process\'s own pid, or written before this boot; refuses one naming a live process', async () => {
    const dir = tempDir();
    const lockPath = join(dir, LOCK_FILE);
    writeFileSync(lockPath, `${process.pid}\n`); // an earlier process had our pid
    let state = await openStateDir(dir);
    expect(parseLockRecord(readFileSync(lockPath, 'utf8'))!.nonce).toMatch(/^[0-9a-f]{16}$/);
    await state.close();

    if (LINUX && running(1)) {
      writeFileSync(lockPath, '1\n');
      utimesSync(lockPath, new Date('2001-01-01'), new Date('2001-01-01')); // before this boot
      state = await openStateDir(dir);
      expect(lockPid(dir)).toBe(process.pid);
      await state.close();
    }

    writeFileSync(lockPath, `${process.ppid}\n`); // written now, by a process that still runs: cannot tell
    const error: unknown = await openStateDir(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeStartError);
    expect((error as Error).message).toContain(`another node (pid ${process.ppid})`);
    expect((error as Error).message).toContain(`if pid ${process.ppid} is not a Peerlay node, remove ${lockPath}`);
    expect(readFileSync(lockPath, 'utf8')).toBe(`${process.ppid}\n`);
  });

  it('refuses an empty or foreign lock file, and leaves it', async () => {
    const dir = tempDir();
    const lockPath = join(dir, LOCK_FILE);
    for (const text of ['', 'not a pid\n']) {
      writeFileSync(lockPath, text);
      await expect(openStateDir(dir)).rejects.toThrow(new RegExp(`remove ${lockPath}`));
      expect(readFileSync(lockPath, 'utf8')).toBe(text);
    }
  });
});

describe('state lock: takeover guard', () => {
  it('removes a guard left by a process that died taking a lock over, then takes the stale lock', async () => {
    const dir = tempDir();
    const lockPath = join(dir, LOCK_FILE);
    writeFileSync(lockPath, formatLockRecord({ pid: await deadPid(), ...thisSystem(), start: '1', nonce: 'stale' }));
    writeFileSync(`${lockPath}.takeover`, formatLockRecord({ pid: await deadPid(), ...thisSystem(), start: '1', nonce: 'died-in-takeover' }));
    const lock = takeLock(lockPath);
    expect(lockPid(dir)).toBe(process.pid);
    expect(readdirSync(dir)).toEqual([LOCK_FILE]);
    expect(lock.release()).toBe(true);
  });

  it('refuses while a live process holds the guard (it is taking the stale lock over now), and leaves both files', async () => {
    const dir = tempDir();
    const lockPath = join(dir, LOCK_FILE);
    const { holder: other, text: guardText } = await liveHolder(join(tempDir(), LOCK_FILE)); // a live process, its lock text
    const staleText = formatLockRecord({ pid: await deadPid(), ...thisSystem(), start: '1', nonce: 'stale' });
    writeFileSync(lockPath, staleText);
    writeFileSync(`${lockPath}.takeover`, guardText);
    expect(() => takeLock(lockPath)).toThrow(new RegExp(`another process \\(pid ${other.pid}\\) is taking over the stale lock`));
    expect(readFileSync(lockPath, 'utf8')).toBe(staleText);
    expect(readFileSync(`${lockPath}.takeover`, 'utf8')).toBe(guardText);
    expect(await other.release()).toBe(true);
  });
});

describe('state lock: release', () => {
  it('removes the lock on close, and only while it is still this lock', async () => {
    const dir = tempDir();
    const lockPath = join(dir, LOCK_FILE);
    const state = await openStateDir(dir);
    const ours = readFileSync(lockPath, 'utf8');
    expect(parseLockRecord(ours)).toMatchObject({ pid: process.pid });
    await state.close();
    expect(existsSync(lockPath)).toBe(false);
    await state.close(); // idempotent

    const lock = takeLock(lockPath);
    const someoneElse = formatLockRecord({ pid: process.ppid, ...thisSystem(), nonce: 'not-ours' });
    writeFileSync(lockPath, someoneElse); // e.g. an operator removed ours and another node started
    expect(lock.release()).toBe(false);
    expect(readFileSync(lockPath, 'utf8')).toBe(someoneElse);
  });

  it('a lock file round-trips through its text, pid on line one', () => {
    const record = { pid: 4242, boot: 'b00t', start: '98765', pidns: 'pid:[4026531836]', nonce: '00ff' };
    const text = formatLockRecord(record);
    expect(text.split('\n')[0]).toBe('4242');
    expect(parseLockRecord(text)).toEqual(record);
    expect(parseLockRecord('4242\n')).toEqual({ pid: 4242, boot: undefined, start: undefined, pidns: undefined, nonce: undefined });
    for (const bad of ['', '\n4242', '-1\n', '0\n', 'pid\n', '12345678901\n']) expect(parseLockRecord(bad), bad).toBeUndefined();
  });
});
