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

  /**
   * @param pyIpv8Dir the py-ipv8 source directory (holding `ipv8/`). @param python the interpreter.
   * @param killOnExit kill the process when this one exits (off when the owner, a {@link PyIpv8Nodes}, does it). @default true
   */
  constructor(pyIpv8Dir: string, python: string, killOnExit = true) {
    this.#child = spawn(python, [HARNESS], { env: { ...process.env, PYTHONPATH: pyIpv8Dir, PYTHONUNBUFFERED: '1' }, stdio: 'pipe' });
    if (killOnExit) process.once('exit', this.#onExit);
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

  /** Kills the process at once. */
  kill(): void {
    this.#child.kill('SIGKILL');
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

/**
 * py-ipv8 nodes spread over harness processes, `nodesPerProcess` in each (one by default, as py-ipv8 runs
 * in deployment): nodes that share a process share one asyncio event loop, which reads one datagram per
 * socket per loop turn, so in a single process holding 20 nodes the busiest node's socket backs up while
 * its 19 neighbours' packets are handled, and its answers arrive after py-ipv8's 2 s find timeout. Nodes
 * are numbered across processes in the order they were started, and `call` takes that number.
 */
export class PyIpv8Nodes {
  readonly #procs: PyIpv8[] = [];
  /** Global node index: its process and its index there. */
  readonly #where: Array<{ proc: PyIpv8; local: number }> = [];
  readonly #perProcess: number;
  /** Nodes started in each process. */
  readonly #started = new Map<PyIpv8, number>();
  /** The first node's port: every later node bootstraps from it too. */
  #firstPort = 0;

  /**
   * @param pyIpv8Dir the py-ipv8 source directory (holding `ipv8/`). @param python the interpreter.
   * @param nodesPerProcess nodes sharing one harness process (and event loop). @default 1
   */
  constructor(
    private readonly pyIpv8Dir: string,
    private readonly python: string,
    nodesPerProcess = 1,
  ) {
    if (!Number.isInteger(nodesPerProcess) || nodesPerProcess < 1) throw new RangeError(`nodesPerProcess must be a positive integer, got ${nodesPerProcess}`);
    this.#perProcess = nodesPerProcess;
  }

  /** Harness processes running. */
  get processes(): number {
    return this.#procs.length;
  }

  /** Resolves at once: processes start with their nodes. */
  async ready(): Promise<void> {}

  /**
   * Starts `count` py-ipv8 nodes. Each bootstraps from `bootstrap` and from the first py-ipv8 node (as
   * the single-process harness does), so every node's first contact is the same as before.
   */
  async start(count: number, bootstrap: Array<[string, number]> = []): Promise<PyNode[]> {
    // Processes with room first, then new ones (started together: importing py-ipv8 takes a second).
    const slots: PyIpv8[] = [];
    for (const p of this.#procs) for (let n = this.#started.get(p) ?? 0; n < this.#perProcess && slots.length < count; n++) slots.push(p);
    const fresh: PyIpv8[] = [];
    while (slots.length < count) {
      if (this.#procs.length === 0) process.once('exit', this.#onExit);
      const p = new PyIpv8(this.pyIpv8Dir, this.python, false);
      fresh.push(p);
      this.#procs.push(p);
      for (let n = 0; n < this.#perProcess && slots.length < count; n++) slots.push(p);
    }
    await Promise.all(fresh.map((p) => p.ready()));
    const out: PyNode[] = [];
    for (const p of slots) {
      // (The harness itself adds the first node of its own process, so a process holding it gets it once.)
      const first = this.#where[0] === undefined || this.#where[0].proc === p ? [] : [['127.0.0.1', this.#firstPort] as [string, number]];
      const [node] = await p.start(1, [...bootstrap, ...first]);
      if (node === undefined) throw new Error('py-ipv8 harness started no node');
      this.#started.set(p, (this.#started.get(p) ?? 0) + 1);
      const global = { ...node, index: this.#where.length };
      this.#where.push({ proc: p, local: node.index });
      if (this.#where.length === 1) this.#firstPort = node.port;
      out.push(global);
    }
    return out;
  }

  /** Sends one command to the node numbered `args.node` and resolves to its answer. */
  call<T>(cmd: string, args: Record<string, unknown> & { node: number }, timeoutMs?: number): Promise<T> {
    const w = this.#where[args.node];
    if (w === undefined) return Promise.reject(new RangeError(`no py-ipv8 node ${args.node}`));
    return w.proc.call<T>(cmd, { ...args, node: w.local }, timeoutMs);
  }

  readonly #onExit = (): void => {
    for (const p of this.#procs) p.kill();
  };

  /** Stops every node and process. */
  async close(): Promise<void> {
    process.removeListener('exit', this.#onExit);
    await Promise.all(this.#procs.map((p) => p.close()));
  }
}
