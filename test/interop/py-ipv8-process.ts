/**
 * Drives `ipv8_harness.py` (py-ipv8 nodes on 127.0.0.1) from the interop checks: one child process,
 * JSON lines both ways, every command with a deadline, and the process killed on `close()` or when the
 * test process exits.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** A py-ipv8 node started by the harness. */
export interface PyNode {
  readonly index: number;
  readonly port: number;
  /** Hex mid. */
  readonly mid: string;
  /** Hex public key binary. */
  readonly public_key: string;
}

const HARNESS = fileURLToPath(new URL('./ipv8_harness.py', import.meta.url));

/** The py-ipv8 harness process. */
export class PyIpv8 {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  #next = 1;
  #stderr = '';
  readonly #ready: Promise<unknown>;
  readonly #onExit = (): void => void this.#child.kill('SIGKILL');

  /** @param pyIpv8Dir the py-ipv8 source directory (holding `ipv8/`). @param python the interpreter. */
  constructor(pyIpv8Dir: string, python: string) {
    this.#child = spawn(python, [HARNESS], { env: { ...process.env, PYTHONPATH: pyIpv8Dir, PYTHONUNBUFFERED: '1' }, stdio: 'pipe' });
    process.once('exit', this.#onExit);
    this.#child.stderr.on('data', (d: Buffer) => {
      this.#stderr = (this.#stderr + d.toString()).slice(-4_000);
    });
    this.#ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`py-ipv8 harness did not start: ${this.#stderr}`)), 30_000);
      this.#waiting.set(0, { resolve, reject, timer });
    });
    this.#child.on('exit', (code) => {
      for (const w of this.#waiting.values()) {
        clearTimeout(w.timer);
        w.reject(new Error(`py-ipv8 harness exited (${code}): ${this.#stderr}`));
      }
      this.#waiting.clear();
    });
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      let msg: { id?: number; ok?: unknown; error?: string };
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        return;
      }
      const w = msg.id === undefined ? undefined : this.#waiting.get(msg.id);
      if (w === undefined) return;
      this.#waiting.delete(msg.id!);
      clearTimeout(w.timer);
      if (msg.error !== undefined) w.reject(new Error(msg.error));
      else w.resolve(msg.ok);
    });
  }

  /** Resolves once the harness is up. */
  ready(): Promise<unknown> {
    return this.#ready;
  }

  /** Sends one command and resolves to its answer (rejects on its error or after `timeoutMs`). */
  call<T>(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 70_000): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`py-ipv8 ${cmd} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.#child.stdin.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
    });
  }

  /** Starts `count` py-ipv8 nodes (bootstrapping from `bootstrap` and from the first py-ipv8 node). */
  async start(count: number, bootstrap: Array<[string, number]> = []): Promise<PyNode[]> {
    return (await this.call<{ nodes: PyNode[] }>('start', { count, bootstrap })).nodes;
  }

  /** Stops every node and the process (kills it if it does not exit within 10 s). */
  async close(): Promise<void> {
    process.removeListener('exit', this.#onExit);
    if (this.#child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.stdin.write(`${JSON.stringify({ id: -1, cmd: 'stop' })}\n`);
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
