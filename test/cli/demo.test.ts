import 'reflect-metadata';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../cli/demo.js';

describe('peerlay demo (what npm start runs)', () => {
  it('runs a small loopback network where every operation succeeds, and reports it as JSON', async () => {
    let text = '';
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        text += chunk.toString();
        done();
      },
    });
    const code = await runDemo({ nodes: 8, json: true, out });
    const report = JSON.parse(text) as { nodes: number; operations: Array<{ operation: string; total: number; success: number }> };
    expect(report.nodes).toBe(8);
    expect(report.operations.map((o) => o.operation)).toEqual([
      'store signed value',
      'find value',
      'update signed value',
      'find newest version',
      'connect peer by mid',
      'bag add',
      'bag search',
      'namespace set',
      'namespace get',
    ]);
    for (const o of report.operations) expect(o.success, o.operation).toBe(o.total);
    expect(report.operations.find((o) => o.operation === 'find value')!.total).toBe(160);
    expect(code).toBe(0);
  });
});
