/**
 * The serve benchmark runs end to end (built, as `npm run bench -- serve` runs it): at a low rate every
 * request of every kind is answered, and the JSON has the documented shape. Speed is not asserted here.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServeResult } from '../../bench/serve.js';
import { replyId } from '../../bench/serve-client.js';
import { PingResponse } from '../../communities/dht/messages.js';
import { encodePacket, makePrefix, PrivateKey } from '../../framework/index.js';
import { buildOnce } from '../helpers/build.js';

const exec = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'peerlay-serve-'));

beforeAll(async () => {
  await buildOnce(['dist/bench/index.js']); // one build for every test file that runs dist/
}, 240_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the serve client', () => {
  it('reads the request id a signed answer echoes, however msgpack sized it', () => {
    const key = PrivateKey.generate();
    const signer = { publicKeyBinary: key.publicKey.toBinary(), sign: (m: Uint8Array) => key.sign(m) };
    const prefix = makePrefix(new Uint8Array(20).fill(1));
    for (const id of [1, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1]) {
      expect(replyId(encodePacket(prefix, PingResponse, { id: BigInt(id), observed: { host: '127.0.0.1', port: 9 } }, signer))).toBe(id);
    }
    expect(replyId(encodePacket(prefix, PingResponse, { id: 2n ** 40n, observed: { host: '127.0.0.1', port: 9 } }, signer))).toBe(-1);
    expect(replyId(new Uint8Array(10))).toBe(-1);
  });
});

describe('npm run bench -- serve', () => {
  it('answers every tagged find, signed find, tagged ping and echo-floor request at 400/s from 4 clients, with latencies, CPU per request and a profile', async () => {
    const out = join(dir, 'serve.json');
    await exec(process.execPath, [`${ROOT}dist/bench/index.js`, 'serve', '--rates', '200,400', '--duration', '500', '--clients', '4', '--quiet', '--json', out], { cwd: ROOT, timeout: 90_000 });
    const result = JSON.parse(readFileSync(out, 'utf8')) as ServeResult;
    expect(result.benchmark).toBe('serve');
    expect(result.rows.map((r) => `${r.kind}@${r.rate}`)).toEqual(['find-tagged@200', 'find-tagged@400', 'find-signed@200', 'find-signed@400', 'ping-tagged@200', 'ping-tagged@400', 'echo-floor@200', 'echo-floor@400']);
    for (const row of result.rows) {
      expect(row.sent).toBe(Math.round(row.rate * 0.5));
      expect(row.received).toBe(row.sent);
      expect(row.dropped).toBe(0);
      expect(row.p99_ms).toBeGreaterThan(0);
      expect(row.server_cpu_us).toBeGreaterThan(0);
    }
    expect(Object.keys(result.profiles).sort()).toEqual(['echo-floor', 'find-signed', 'find-tagged', 'ping-tagged']);
    // The floor answers as large as the node's find answers: a find answer carries contacts, far more than a request.
    expect(result.echo_reply_bytes).toBeGreaterThan(300);
    for (const rows of Object.values(result.profiles)) expect(rows.length).toBeGreaterThan(0);
  }, 120_000);
});
