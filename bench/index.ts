/**
 * Benchmark entry point: `npm run bench -- <name> [--json FILE] [--duration MS]`.
 * Prints a table to stdout and writes JSON to FILE (or prints it after the table).
 * @module
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { table } from './measure.js';
import { runMicro } from './micro.js';

const USAGE = 'usage: npm run bench -- micro [--json FILE] [--duration MS]';

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'string' }, duration: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const which = positionals[0];
  if (values.help === true || which === undefined) {
    console.log(USAGE);
    return which === undefined && values.help !== true ? 2 : 0;
  }
  if (which !== 'micro') {
    console.error(`unknown benchmark ${JSON.stringify(which)}\n${USAGE}`);
    return 2;
  }
  const durationMs = values.duration === undefined ? 300 : Number(values.duration);
  const rows = await runMicro(durationMs);
  console.log(table(rows, ['name', 'backend', 'opsPerSec']));
  const node = (name: string) => rows.find((r) => r.name === name && r.backend === 'node')?.opsPerSec ?? 0;
  const noble = (name: string) => rows.find((r) => r.name === name && r.backend === 'noble')?.opsPerSec ?? 0;
  const ratios = { sign: node('sign') / noble('sign'), verify: node('verify') / noble('verify') };
  console.log(`\nnode:crypto / noble: sign ${ratios.sign.toFixed(1)}x, verify ${ratios.verify.toFixed(1)}x`);
  const json = JSON.stringify({ benchmark: 'micro', durationMs, results: rows, ratios }, null, 2);
  if (values.json !== undefined) writeFileSync(values.json, json + '\n');
  else console.log(json);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
