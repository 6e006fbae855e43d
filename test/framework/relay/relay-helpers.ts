/** A small world for relay tests: a MemoryNetwork with room for the relay header, relays and nodes. */
import 'reflect-metadata';
import {
  DEFAULT_MAX_PACKET_BYTES,
  ManualClock,
  MemoryNetwork,
  OverlayHost,
  PrivateKey,
  RELAY_OVERHEAD_BYTES,
  RelayClient,
  RelayServer,
  SeededRandom,
} from '../../../framework/index.js';
import type { Address, Endpoint, MemoryEndpoint, MemoryNat, RelayClientOptions, RelayServerOptions } from '../../../framework/index.js';
import { PingPongCommunity } from '../../../docs/examples/ping-pong.js';

/** Outer datagrams may be the host's 1,400 bytes plus the relay header. */
export const WIRE_MAX = DEFAULT_MAX_PACKET_BYTES + RELAY_OVERHEAD_BYTES;

export interface RelayNode {
  raw: MemoryEndpoint;
  server: RelayServer | undefined;
  client: RelayClient;
  host: OverlayHost;
  ping: PingPongCommunity;
  /** Endpoints the server made for its allocations, in order. */
  ports: MemoryEndpoint[];
}

export interface RelayWorld {
  clock: ManualClock;
  random: SeededRandom;
  net: MemoryNetwork;
  node(options?: { address?: Address; behind?: MemoryNat; server?: RelayServerOptions; client?: RelayClientOptions; ping?: boolean }): Promise<RelayNode>;
  stop(): Promise<void>;
}

export function relayWorld(seed: number): RelayWorld {
  const clock = new ManualClock();
  const random = new SeededRandom(seed);
  const errors: Error[] = [];
  const net = new MemoryNetwork(clock, random, { latencyMs: 5, maxPacketBytes: WIRE_MAX, onError: (e) => errors.push(e) });
  const hosts: OverlayHost[] = [];
  let nextPort = 30_000;
  return {
    clock,
    random,
    net,
    async node(o = {}) {
      const nodeRandom = new SeededRandom(random.int(2 ** 31));
      const raw = net.createEndpoint(o.address, o.behind === undefined ? {} : { behind: o.behind });
      const ports: MemoryEndpoint[] = [];
      const server =
        o.server === undefined
          ? undefined
          : new RelayServer(
              raw,
              {
                clock,
                random: nodeRandom,
                createEndpoint: (): Endpoint => {
                  const e = net.createEndpoint({ host: raw.address.host, port: nextPort++ });
                  ports.push(e);
                  return e;
                },
              },
              o.server,
            );
      const client = new RelayClient(server ?? raw, { clock, random: nodeRandom }, o.client);
      const host = new OverlayHost({ endpoint: client, clock, random: nodeRandom, key: PrivateKey.generate(nodeRandom) });
      const ping = host.register(PingPongCommunity);
      await host.start();
      hosts.push(host);
      return { raw, server, client, host, ping, ports };
    },
    async stop() {
      for (const h of hosts) await h.stop();
      await clock.advance(1_000);
      if (errors.length > 0) throw errors[0];
    },
  };
}
