#!/usr/bin/env node
// Counts a vitest JSON report (`--reporter=json`) for .ci/run and prints "passed failed total".
//
//   node .ci/count.mjs <report.json> [vitest exit code]
//
// failed = failed tests
//        + test files that vitest marks failed without a failed test in them: a file that failed to
//          load (import error, a missing file read at module top level, "No test suite found"), or
//          whose beforeAll/afterAll hook threw. Such a file reports no failed test (its tests are
//          absent, skipped or passed), so numFailedTests alone misses it.
// If that is 0 but vitest still reports a failure (numFailedTestSuites > 0, success false, or a
// non-zero exit code, e.g. an unhandled error, which the JSON report does not record), failed is 1.
// total = numTotalTests + the failures counted above that are not tests.
// A report that cannot be read or is not a vitest report: a message on stderr, exit status 2.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A count: a non-negative integer, or 0 for anything else (a missing field). */
function num(value) {
  return Number.isInteger(value) && value > 0 ? value : 0;
}

/**
 * @param {any} report the parsed vitest JSON report
 * @param {number} [exitCode] vitest's exit status (0 if not known)
 * @returns {{ passed: number, failed: number, total: number }}
 */
export function countReport(report, exitCode = 0) {
  if (report === null || typeof report !== 'object' || !Array.isArray(report.testResults)) {
    throw new Error('not a vitest JSON report (no testResults array)');
  }
  const passed = num(report.numPassedTests);
  const failedTests = num(report.numFailedTests);
  const failedFiles = report.testResults.filter(
    (file) =>
      file?.status === 'failed' &&
      !(Array.isArray(file.assertionResults) ? file.assertionResults : []).some((a) => a?.status === 'failed'),
  ).length;
  let failed = failedTests + failedFiles;
  const reportedFailure =
    num(report.numFailedTestSuites) > 0 ||
    num(report.numRuntimeErrorTestSuites) > 0 ||
    report.success === false ||
    (Number.isInteger(exitCode) && exitCode !== 0);
  if (failed === 0 && reportedFailure) failed = 1;
  const total = num(report.numTotalTests) + (failed - failedTests);
  return { passed, failed, total };
}

function main(argv) {
  const [path, code] = argv;
  if (!path) {
    process.stderr.write('usage: node .ci/count.mjs <report.json> [vitest exit code]\n');
    return 2;
  }
  const exitCode = code === undefined || code === '' ? 0 : Number(code);
  try {
    const { passed, failed, total } = countReport(JSON.parse(readFileSync(path, 'utf8')), exitCode);
    process.stdout.write(`${passed} ${failed} ${total}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`count.mjs: ${path}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
