/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time per function and per file, the
 * biggest first. `node dist/bench/cpuprofile.js FILE [--top N]`.
 * @module
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** One row of a profile summary. */
export interface ProfileRow {
  /** `function (file:line)` or a file name. */
  readonly name: string;
  /** Self time, ms. */
  readonly self_ms: number;
  /** Share of all sampled time, percent. */
  readonly percent: number;
}

/** Self time by function and by file of a parsed `.cpuprofile`, largest first. */
export function summarizeProfile(profile: CpuProfile, top = 25): { total_ms: number; functions: ProfileRow[]; files: ProfileRow[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const fns = new Map<string, number>();
  const files = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const f = byId.get(id)?.callFrame;
    if (f === undefined) continue;
    total += us;
    const file = f.url === '' ? '(native)' : shortFile(f.url);
    const name = `${f.functionName || '(anonymous)'} (${file}${f.url === '' ? '' : `:${f.lineNumber + 1}`})`;
    fns.set(name, (fns.get(name) ?? 0) + us);
    files.set(file, (files.get(file) ?? 0) + us);
  }
  const rows = (m: Map<string, number>): ProfileRow[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, self_ms: Math.round(us / 1_000), percent: Math.round((us / total) * 1_000) / 10 }));
  return { total_ms: Math.round(total / 1_000), functions: rows(fns), files: rows(files) };
}

function shortFile(url: string): string {
  const m = /(node_modules\/(?:@[^/]+\/)?[^/]+)|((?:dist|src)\/.*)$/.exec(url);
  if (m?.[1] !== undefined) return m[1];
  if (m?.[2] !== undefined) return m[2];
  return url.startsWith('node:') ? url : basename(url);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.argv[2];
  if (file === undefined) {
    console.error('usage: node dist/bench/cpuprofile.js FILE.cpuprofile [--top N]');
    process.exitCode = 2;
  } else {
    const topIndex = process.argv.indexOf('--top');
    const top = topIndex > 0 ? Number(process.argv[topIndex + 1]) : 25;
    const s = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top);
    console.log(`total sampled: ${s.total_ms} ms\n\nself time by function:`);
    for (const r of s.functions) console.log(`${r.percent.toFixed(1).padStart(5)}%  ${String(r.self_ms).padStart(6)} ms  ${r.name}`);
    console.log('\nself time by file:');
    for (const r of s.files) console.log(`${r.percent.toFixed(1).padStart(5)}%  ${String(r.self_ms).padStart(6)} ms  ${r.name}`);
  }
}
