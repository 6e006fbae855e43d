"""Run py-ipv8 DHT discovery nodes on 127.0.0.1 for Peerlay's interop checks (``npm run interop``).

Every node is py-ipv8's own ``DHTDiscoveryCommunity`` on a real UDP socket bound to 127.0.0.1, walking with
py-ipv8's ``RandomWalk`` and maintained by its ``PingChurn`` (0.5 s ticks, as IPv8's defaults), with no
bootstrap server: nodes are introduced to each other by address only. The node's own addresses are set to
127.0.0.1 so that nothing is ever sent elsewhere (py-ipv8 would otherwise guess a LAN address).

Protocol: one JSON object per line on stdin, ``{"id": n, "cmd": ..., ...}``; one JSON answer per line on
stdout, ``{"id": n, "ok": {...}}`` or ``{"id": n, "error": "..."}``. Commands run concurrently.

    start  {"count": n, "bootstrap": [[host, port], ...]}   -> {"nodes": [{"index", "port", "mid", "public_key"}]}
    walk   {"node": i, "address": [host, port]}
    table  {"node": i}                                      -> {"contacts": [[host, port, mid], ...]}
    store  {"node": i, "key": hex, "data": hex, "sign": b}  -> {"stored_on": n}
    find   {"node": i, "key": hex}                          -> {"values": [[data hex, public key hex or null], ...],
                                                                "crawl": {"tried": [port, ...], "answered": [port, ...], "with_values": n}}
    diag   {"node": i}                                      -> {"contacts": [[port, failed, status], ...], "counters": {...}}
    store_peer {"node": i}                                  -> {"stored_on": n}
    connect {"node": i, "mid": hex}                         -> {"nodes": [[host, port, public key hex], ...]}
    stop                                                    -> exits

Run with Debian's Python and py-ipv8 3.2 on the path: ``PYTHONPATH=/path/to/py-ipv8-3.2 /usr/bin/python3 ...``.
"""
from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from binascii import hexlify, unhexlify

from ipv8.community import CommunitySettings
from ipv8.dht import DHTError
from ipv8.dht.churn import PingChurn
from ipv8.dht.community import TARGET_NODES
from ipv8.dht.discovery import DHTDiscoveryCommunity
from ipv8.keyvault.crypto import default_eccrypto
from ipv8.messaging.interfaces.udp.endpoint import UDPEndpoint, UDPv4Address
from ipv8.peer import Peer
from ipv8.peerdiscovery.discovery import RandomWalk
from ipv8.peerdiscovery.network import Network

HOST = "127.0.0.1"
STEP_S = 0.5
COMMAND_TIMEOUT_S = 60.0

nodes: list[dict] = []
walkers: list[asyncio.Task] = []
#: How late the event loop runs a 0.1 s timer: py-ipv8's find requests time out after 2 s, so a loop that
#: runs late by that much times out answers that did arrive.
loop_lag = {"samples": 0, "over_500ms": 0, "over_1s": 0, "over_2s": 0, "max_s": 0.0}


def hx(b: bytes) -> str:
    return hexlify(b).decode()


async def start_node(bootstrap: list[tuple[str, int]]) -> dict:
    endpoint = UDPEndpoint(port=0, ip=HOST)
    peer = Peer(default_eccrypto.generate_key("curve25519"))
    # Built before the socket opens, so py-ipv8 does not guess a LAN address from the interfaces.
    community = DHTDiscoveryCommunity(CommunitySettings(my_peer=peer, endpoint=endpoint, network=Network()))
    await endpoint.open()
    port = endpoint.get_address()[1]
    me = UDPv4Address(HOST, port)
    community.my_estimated_lan = me
    community.my_estimated_wan = me
    peer.address = me
    strategies = [RandomWalk(community, timeout=3.0), PingChurn(community)]
    node = {"community": community, "endpoint": endpoint, "bootstrap": [UDPv4Address(h, p) for h, p in bootstrap],
            "strategies": strategies, "counters": instrument(community)}
    nodes.append(node)
    walkers.append(asyncio.ensure_future(walk(node)))
    return {"index": len(nodes) - 1, "port": port, "mid": hx(peer.mid), "public_key": hx(peer.public_key.key_to_bin())}


def instrument(community: DHTDiscoveryCommunity) -> dict:
    """Counts, without changing them, the node's find requests and their fates, and the requests it drops.

    ``find_timeout_to`` and ``dropped_from`` are keyed by the other node's port; ``dropped_from`` counts the
    requests py-ipv8's per-node limit (10 in 5 s) made this node drop silently.
    """
    counters: dict = {"find_sent": 0, "find_answered": 0, "find_timeout": 0, "find_timeout_to": {},
                      "dropped_from": {}, "requests_in": 0}
    send_find = community._send_find_request
    requesting_node = community.get_requesting_node

    def counted_send_find(node, target, force_nodes, offset=0):
        counters["find_sent"] += 1
        future = send_find(node, target, force_nodes, offset)

        def fate(f) -> None:
            if f.cancelled() or f.exception() is not None or f.result() is None:
                counters["find_timeout"] += 1
                port = str(node.address[1])
                counters["find_timeout_to"][port] = counters["find_timeout_to"].get(port, 0) + 1
            else:
                counters["find_answered"] += 1
        future.add_done_callback(fate)
        return future

    def counted_requesting_node(peer):
        counters["requests_in"] += 1
        found = requesting_node(peer)
        if found is None:
            port = str(peer.address[1])
            counters["dropped_from"][port] = counters["dropped_from"].get(port, 0) + 1
        return found

    community._send_find_request = counted_send_find
    community.get_requesting_node = counted_requesting_node
    return counters


async def walk(node: dict) -> None:
    community = node["community"]
    while True:
        if not community.get_peers():
            for address in node["bootstrap"]:
                community.walk_to(address)
        for strategy in node["strategies"]:
            try:
                strategy.take_step()
            except Exception:  # a strategy step must not end the walk
                logging.exception("strategy step failed")
        await asyncio.sleep(STEP_S)


def kernel_socket(port: int) -> dict | None:
    """The kernel's view of the UDP socket bound to ``port``: bytes waiting to be read, datagrams dropped."""
    try:
        with open("/proc/net/udp") as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if int(fields[1].split(":")[1], 16) == port:
                    return {"rx_queue_bytes": int(fields[4].split(":")[1], 16), "drops": int(fields[-1])}
    except OSError:
        return None
    return None


async def watch_loop_lag() -> None:
    loop = asyncio.get_running_loop()
    while True:
        t0 = loop.time()
        await asyncio.sleep(0.1)
        lag = loop.time() - t0 - 0.1
        loop_lag["samples"] += 1
        loop_lag["max_s"] = max(loop_lag["max_s"], round(lag, 3))
        for limit, name in ((0.5, "over_500ms"), (1.0, "over_1s"), (2.0, "over_2s")):
            if lag > limit:
                loop_lag[name] += 1


async def handle(msg: dict) -> dict:
    cmd = msg["cmd"]
    if cmd == "start":
        boot = [tuple(a) for a in msg.get("bootstrap", [])]
        created = []
        for _ in range(msg["count"]):
            # The first py-ipv8 node bootstraps from what it was given, the others from the first one too.
            first = [(HOST, nodes[0]["endpoint"].get_address()[1])] if nodes else []
            created.append(await start_node(boot + first))
        return {"nodes": created}
    node = nodes[msg["node"]]
    community: DHTDiscoveryCommunity = node["community"]
    if cmd == "walk":
        community.walk_to(UDPv4Address(*msg["address"]))
        return {}
    if cmd == "table":
        contacts = []
        for table in community.routing_tables.values():
            for bucket in table.trie.values():
                contacts.extend([n.address[0], n.address[1], hx(n.mid)] for n in bucket.nodes.values())
        return {"contacts": contacts}
    if cmd == "diag":
        contacts = []
        for table in community.routing_tables.values():
            for bucket in table.trie.values():
                contacts.extend([n.address[1], n.failed, n.status] for n in bucket.nodes.values())
        return {"contacts": contacts, "counters": node["counters"], "loop_lag": loop_lag,
                "socket": kernel_socket(node["endpoint"].get_address()[1]),
                "cpu_s": round(time.process_time(), 2)}
    if cmd == "store":
        stored = await community.store_value(unhexlify(msg["key"]), unhexlify(msg["data"]), sign=msg["sign"])
        return {"stored_on": len(stored)}
    if cmd == "find":
        values, crawls = await community.find_values(unhexlify(msg["key"]), debug=True)
        crawl = {"tried": [n.address[1] for c in crawls for n in c.nodes_tried],
                 "answered": [n.address[1] for c in crawls for n, _ in c.responses],
                 "with_values": sum(1 for c in crawls for _, r in c.responses if "values" in r)}
        return {"values": [[hx(data), hx(pk) if pk else None] for data, pk in values], "crawl": crawl}
    if cmd == "store_peer":
        return {"stored_on": len(await community.store_peer())}
    if cmd == "connect":
        # py-ipv8's connect_peer(mid) (without a peer to ping first), step by step, so that a miss can say
        # which nodes were asked and which py-ipv8 nodes store the mid: the Node test records both.
        mid = unhexlify(msg["mid"])
        if mid in community.store:
            found = community.store[mid]
            asked = []
        else:
            asked = (await community.find_nodes(mid))[:TARGET_NODES]
            try:
                found = await community.send_connect_peer_request(mid, asked)
            except DHTError:
                found = []
        answer_nodes = [[n.address[0], n.address[1], hx(n.public_key.key_to_bin())] for n in found]
        if answer_nodes:
            return {"nodes": answer_nodes}
        storers = [other["endpoint"].get_address()[1] for other in nodes if other["community"].store.get(mid)]
        return {"nodes": [], "miss": {"asked": [n.address[1] for n in asked], "py_storers": storers}}
    raise ValueError(f"unknown command {cmd}")


def answer(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def run_one(msg: dict) -> None:
    try:
        result = await asyncio.wait_for(handle(msg), COMMAND_TIMEOUT_S)
        answer({"id": msg.get("id"), "ok": result})
    except Exception as e:  # every failure is an answer, never a crash
        answer({"id": msg.get("id"), "error": f"{type(e).__name__}: {e}"})


async def shutdown() -> None:
    for w in walkers:
        w.cancel()
    for node in nodes:
        try:
            await node["community"].unload()
        except Exception:
            logging.exception("unload failed")
        node["endpoint"].close()


async def main() -> None:
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    pending: set[asyncio.Task] = set()
    lag_watch = asyncio.ensure_future(watch_loop_lag())
    answer({"id": 0, "ok": {"ready": True}})
    while True:
        line = await reader.readline()
        if not line:
            break
        msg = json.loads(line)
        if msg.get("cmd") == "stop":
            break
        task = asyncio.ensure_future(run_one(msg))
        pending.add(task)
        task.add_done_callback(pending.discard)
    for task in pending:
        task.cancel()
    lag_watch.cancel()
    await shutdown()
    answer({"id": -1, "ok": {"stopped": True}})


if __name__ == "__main__":
    asyncio.run(main())
