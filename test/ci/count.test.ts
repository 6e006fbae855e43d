/**
 * `.ci/count.mjs`, which turns vitest's JSON report into the "N passed, N failed" line of `.ci/run`:
 * on reports shaped like vitest 4's JSON reporter output (checked against real ones), and on a real
 * report from running vitest on a throwaway directory where one file throws at import and one reads a
 * missing file at module top level.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const counter = fileURLToPath(new URL('../../.ci/count.mjs', import.meta.url));
const vitestCli = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url));

type Status = 'passed' | 'failed' | 'skipped' | 'todo';
interface FileResult {
  name: string;
  status: 'passed' | 'failed';
  message: string;
  assertionResults: { title: string; status: Status }[];
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'peerlay-count-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the counter on a report file; returns its exit status, stdout and stderr. */
function runCounter(reportPath: string, exitCode?: number): { status: number | null; stdout: string; stderr: string } {
  const args = [counter, reportPath];
  if (exitCode !== undefined) args.push(String(exitCode));
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let reports = 0;
/** Writes a report and counts it: "passed failed total". */
function count(report: unknown, exitCode?: number): string {
  const path = join(dir, `report-${reports++}.json`);
  writeFileSync(path, JSON.stringify(report));
  const r = runCounter(path, exitCode);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.trim();
}

function test(title: string, status: Status, ancestorTitles: string[] = []) {
  return {
    ancestorTitles,
    fullName: [...ancestorTitles, title].join(' '),
    status,
    title,
    duration: status === 'passed' || status === 'failed' ? 1 : 0,
    failureMessages: status === 'failed' ? ['AssertionError: expected 1 to be 2 // Object.is equality'] : [],
    meta: {},
  };
}

/**
 * A report in the shape of vitest 4's JSON reporter. `suites` is numTotalTestSuites/numFailedTestSuites
 * (vitest counts every file and every describe block as a suite); by default one per file.
 */
function vitestReport(files: FileResult[], suites?: { total: number; failed: number }) {
  const all = files.flatMap((f) => f.assertionResults);
  const n = (s: Status) => all.filter((a) => a.status === s).length;
  const failedSuites = suites?.failed ?? files.filter((f) => f.status === 'failed').length;
  const totalSuites = suites?.total ?? files.length;
  return {
    numTotalTestSuites: totalSuites,
    numPassedTestSuites: totalSuites - failedSuites,
    numFailedTestSuites: failedSuites,
    numPendingTestSuites: 0,
    numTotalTests: all.length,
    numPassedTests: n('passed'),
    numFailedTests: n('failed'),
    numPendingTests: n('skipped'),
    numTodoTests: n('todo'),
    snapshot: { added: 0, failure: false, filesAdded: 0, filesRemoved: 0, filesRemovedList: [], filesUnmatched: 0, filesUpdated: 0, matched: 0, total: 0, unchecked: 0, uncheckedKeysByFile: [], unmatched: 0, updated: 0, didUpdate: false },
    startTime: 1_700_000_000_000,
    success: failedSuites === 0 && n('failed') === 0,
    testResults: files.map((f) => ({ ...f, assertionResults: f.assertionResults.map((a) => test(a.title, a.status)), startTime: 1_700_000_000_000, endTime: 1_700_000_000_001 })),
  };
}

const passingFile: FileResult = {
  name: '/repo/test/a.test.ts',
  status: 'passed',
  message: '',
  assertionResults: [
    { title: 'one', status: 'passed' },
    { title: 'two', status: 'passed' },
  ],
};

describe('.ci/count.mjs on reports shaped like vitest JSON', () => {
  it('all passing: 0 failed', () => {
    expect(count(vitestReport([passingFile]))).toBe('2 0 2');
    expect(count(vitestReport([passingFile]), 0)).toBe('2 0 2');
  });

  it('one failed assertion: 1 failed (its file, also failed, is not counted twice)', () => {
    const failing: FileResult = {
      name: '/repo/test/b.test.ts',
      status: 'failed',
      message: '',
      assertionResults: [
        { title: 'bad', status: 'failed' },
        { title: 'good', status: 'passed' },
      ],
    };
    expect(count(vitestReport([passingFile, failing]), 1)).toBe('3 1 4');
  });

  it('a file that failed to load (status failed, no assertion results): counted as failed', () => {
    const broken: FileResult = {
      name: '/repo/test/c.test.ts',
      status: 'failed',
      message: "ENOENT: no such file or directory, open '/shared/vectors/ipv8-keys.json'",
      assertionResults: [],
    };
    const report = vitestReport([passingFile, broken]);
    expect(report.numFailedTests).toBe(0);
    expect(report.numFailedTestSuites).toBe(1);
    expect(count(report)).toBe('2 1 3');
    const twoBroken = vitestReport([passingFile, broken, { ...broken, name: '/repo/test/d.test.ts', message: 'No test suite found in file /repo/test/d.test.ts' }]);
    expect(count(twoBroken, 1)).toBe('2 2 4');
  });

  it('a file whose beforeAll hook threw (tests skipped) or whose afterAll threw (tests passed): counted', () => {
    const hook: FileResult = {
      name: '/repo/test/e.test.ts',
      status: 'failed',
      message: '',
      assertionResults: [
        { title: 'a', status: 'skipped' },
        { title: 'b', status: 'skipped' },
      ],
    };
    const after: FileResult = { name: '/repo/test/f.test.ts', status: 'failed', message: 'afterAll boom', assertionResults: [{ title: 'x', status: 'passed' }] };
    // vitest counts the file and its describe block as failed suites
    expect(count(vitestReport([passingFile, hook, after], { total: 4, failed: 3 }))).toBe('3 2 7');
  });

  it('a failure vitest reports only as a failed suite, success false or its exit code: at least 1 failed', () => {
    const clean = vitestReport([passingFile]);
    expect(count({ ...clean, numPassedTestSuites: 1, numFailedTestSuites: 1, numTotalTestSuites: 2 })).toBe('2 1 3');
    expect(count({ ...clean, success: false })).toBe('2 1 3');
    // an unhandled error: the JSON report says all is well, vitest exits 1
    expect(count(clean, 1)).toBe('2 1 3');
  });

  it('skipped and todo tests are neither passed nor failed', () => {
    const mixed: FileResult = {
      name: '/repo/test/g.test.ts',
      status: 'passed',
      message: '',
      assertionResults: [
        { title: 'p', status: 'passed' },
        { title: 's', status: 'skipped' },
        { title: 't', status: 'todo' },
      ],
    };
    expect(count(vitestReport([mixed]))).toBe('1 0 3');
  });

  it('rejects what is not a vitest report, and a missing file, with exit status 2', () => {
    const path = join(dir, 'not-a-report.json');
    writeFileSync(path, '{"numFailedTests": 0}');
    expect(runCounter(path)).toMatchObject({ status: 2, stdout: '' });
    writeFileSync(path, 'not json');
    expect(runCounter(path)).toMatchObject({ status: 2, stdout: '' });
    expect(runCounter(join(dir, 'absent.json'))).toMatchObject({ status: 2, stdout: '' });
  });
});

describe('.ci/count.mjs on a real vitest report', () => {
  it('counts a file that throws at import and one that reads a missing file at top level', () => {
    const project = join(dir, 'project');
    mkdirSync(project);
    const write = (name: string, text: string) => writeFileSync(join(project, name), text);
    write('vitest.config.mjs', "export default { test: { include: ['*.test.js'], globals: true, pool: 'forks' } };\n");
    write('pass.test.js', "test('passes', () => { expect(1 + 1).toBe(2); });\n");
    write('throws.test.js', "throw new Error('boom at import');\n");
    write(
      'missing.test.js',
      "import { readFileSync } from 'node:fs';\nreadFileSync(new URL('./absent/vectors.json', import.meta.url));\ntest('never runs', () => {});\n",
    );
    const reportPath = join(dir, 'real-report.json');
    // The outer vitest's variables would confuse the inner run.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'TEST'));
    const run = spawnSync(process.execPath, [vitestCli, 'run', '--root', project, '--reporter=json', `--outputFile=${reportPath}`], {
      cwd: project,
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as ReturnType<typeof vitestReport>;
    // What the old inline count saw: no failed test at all.
    expect(report.numFailedTests + ((report as { numRuntimeErrorTestSuites?: number }).numRuntimeErrorTestSuites ?? 0)).toBe(0);
    expect(report.numFailedTestSuites).toBe(2);
    const byName = Object.fromEntries(report.testResults.map((f) => [f.name.slice(project.length + 1), f]));
    expect(byName['throws.test.js']).toMatchObject({ status: 'failed', assertionResults: [], message: 'boom at import' });
    expect(byName['missing.test.js']).toMatchObject({ status: 'failed', assertionResults: [] });
    expect(byName['pass.test.js']).toMatchObject({ status: 'passed' });
    expect(runCounter(reportPath, run.status ?? 1)).toEqual({ status: 0, stdout: '1 2 3\n', stderr: '' });
    expect(runCounter(reportPath)).toEqual({ status: 0, stdout: '1 2 3\n', stderr: '' });
  });
});
