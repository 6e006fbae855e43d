"""Capture known-answer packets from py-ipv8 itself, for Peerlay's struct encoding tests.

Every packet here is built by py-ipv8 3.2's own code (its Community's ``create_*`` methods, ``ezr_pack``,
``serialize_value``, ``calc_node_id``) with fixed keys (the three keys of ``test/fixtures/ipv8-keys.json``),
fixed addresses and fixed identifiers, so the output is deterministic (Ed25519 signatures are).

Run it with Debian's Python and py-ipv8 3.2 on the path, from the repository root:

    PYTHONPATH=/path/to/py-ipv8-3.2 /usr/bin/python3 test/interop/capture_packets.py > test/fixtures/ipv8-packets.json
"""
from __future__ import annotations

import asyncio
import json
import sys
import time
from binascii import hexlify, unhexlify

from ipv8.community import CommunitySettings
from ipv8.dht.discovery import DHTDiscoveryCommunity
from ipv8.dht.payload import (
    ConnectPeerRequestPayload,
    ConnectPeerResponsePayload,
    FindRequestPayload,
    FindResponsePayload,
    PingRequestPayload,
    PingResponsePayload,
    StorePeerRequestPayload,
    StorePeerResponsePayload,
    StoreRequestPayload,
    StoreResponsePayload,
)
from ipv8.dht.routing import Node, calc_node_id
from ipv8.keyvault.crypto import default_eccrypto
from ipv8.messaging.interfaces.udp.endpoint import UDPv4Address, UDPv6Address
from ipv8.peer import Peer
from ipv8.peerdiscovery.network import Network
from ipv8.test.mocking.endpoint import MockEndpoint

KEY_SEEDS = [
    bytes(range(0, 64)),
    bytes(range(7, 71)),
    bytes(range(0xC8, 0x100)) + bytes(range(0, 8)),
]


def hx(b: bytes) -> str:
    return hexlify(b).decode()


def addr(a) -> dict:
    return {"host": a[0], "port": a[1]}


def main() -> None:
    asyncio.run(capture())


async def capture() -> None:
    keys = [default_eccrypto.key_from_private_bin(b"LibNaCLSK:" + seed) for seed in KEY_SEEDS]
    lan = UDPv4Address("10.0.0.5", 7001)
    wan = UDPv4Address("203.0.113.7", 7001)
    endpoint = MockEndpoint(lan, wan)
    endpoint.open()
    peer = Peer(keys[0], wan)
    dht = DHTDiscoveryCommunity(CommunitySettings(my_peer=peer, endpoint=endpoint, network=Network()))
    dht.my_estimated_lan = lan
    dht.my_estimated_wan = wan
    out: dict = {
        "source": "captured from py-ipv8 3.2 (Tribler/py-ipv8 tag 3.2) by test/interop/capture_packets.py",
        "community_id": hx(dht.community_id),
        "prefix": hx(dht.get_prefix()),
        "sender_private_key_index": 0,
        "sender_public_key_bin": hx(keys[0].pub().key_to_bin()),
        "packets": [],
        "values": [],
        "node_ids": [],
    }
    packets = out["packets"]

    def add(name: str, packet: bytes, fields: dict, signed: bool, global_time: bool) -> None:
        packets.append({"name": name, "message_id": packet[22], "signed": signed, "global_time": global_time,
                        "fields": fields, "hex": hx(packet)})

    def gt(packet: bytes) -> int:
        return int.from_bytes(packet[23 + 2 + 74:23 + 2 + 74 + 8], "big")

    dest = UDPv4Address("198.51.100.9", 8090)
    # Introduction request, old IPv4 form (message 246) and new form (234).
    p = dht.create_introduction_request(dest, extra_bytes=b"", new_style=False)
    add("introduction-request", p, {"destination_address": addr(dest), "source_lan_address": addr(lan),
        "source_wan_address": addr(wan), "global_time": gt(p), "extra_bytes": ""}, True, True)
    p = dht.create_introduction_request(dest, extra_bytes=b"\x01\x02", new_style=True)
    add("new-introduction-request", p, {"destination_address": addr(dest), "source_lan_address": addr(lan),
        "source_wan_address": addr(wan), "global_time": gt(p), "extra_bytes": "0102"}, True, True)
    dest6 = UDPv6Address("2001:db8::17", 8091)
    p = dht.create_introduction_request(dest6, extra_bytes=b"", new_style=True)
    add("new-introduction-request-ipv6", p, {"destination_address": addr(dest6), "source_lan_address": addr(lan),
        "source_wan_address": addr(wan), "global_time": gt(p), "extra_bytes": ""}, True, True)
    # Introduction responses (245 old, 233 new); no peer to introduce.
    p = dht.create_introduction_response(wan, dest, 0x4321, new_style=False)
    add("introduction-response", p, {"destination_address": addr(dest), "identifier": 0x4321,
        "global_time": gt(p)}, True, True)
    p = dht.create_introduction_response(wan, dest, 0x4322, new_style=True)
    add("new-introduction-response", p, {"destination_address": addr(dest), "identifier": 0x4322,
        "global_time": gt(p)}, True, True)
    # Punctures (249 old, 231 new) and puncture requests (250 old, 232 new, unsigned).
    p = dht.create_puncture(lan, dest, 0x1111, new_style=False)
    add("puncture", p, {"source_lan_address": addr(lan), "source_wan_address": addr(dest), "identifier": 0x1111,
        "global_time": gt(p)}, True, True)
    p = dht.create_puncture(lan, dest6, 0x1112, new_style=True)
    add("new-puncture", p, {"source_lan_address": addr(lan), "source_wan_address": addr(dest6),
        "identifier": 0x1112, "global_time": gt(p)}, True, True)
    p = dht.create_puncture_request(lan, dest, 0x12345, new_style=False)
    add("puncture-request", p, {"lan_walker_address": addr(lan), "wan_walker_address": addr(dest),
        "identifier": 0x12345 % 65536, "global_time": int.from_bytes(p[23:31], "big")}, False, True)
    p = dht.create_puncture_request(lan, dest6, 0x2222, new_style=True)
    add("new-puncture-request", p, {"lan_walker_address": addr(lan), "wan_walker_address": addr(dest6),
        "identifier": 0x2222, "global_time": int.from_bytes(p[23:31], "big")}, False, True)

    # Serialized DHT values: unsigned and signed (fixed version; the signature is deterministic).
    unsigned_value = dht.serialize_value(b"plain value", sign=False)
    real_time = time.time
    time.time = lambda: 1700000000.5
    try:
        signed_value = dht.serialize_value(b"signed value", sign=True)
    finally:
        time.time = real_time
    out["values"].append({"data": hx(b"plain value"), "signed": False, "hex": hx(unsigned_value)})
    out["values"].append({"data": hx(b"signed value"), "signed": True, "version": 1700000000,
                          "public_key_bin": hx(keys[0].pub().key_to_bin()), "hex": hx(signed_value)})
    assert dht.unserialize_value(signed_value) == (b"signed value", keys[0].pub().key_to_bin(), 1700000000)

    target = bytes(range(100, 120))
    token = bytes(range(200, 220))
    node_a = Node(keys[1].pub().key_to_bin(), UDPv4Address("192.0.2.33", 9001))
    node_b = Node(keys[2].pub().key_to_bin(), UDPv6Address("2001:db8::2", 9002))

    def dht_packet(name: str, payload, fields: dict) -> None:
        add(name, dht.ezr_pack(payload.msg_id, payload), fields, True, False)

    dht_packet("ping-request", PingRequestPayload(0xBEEF), {"identifier": 0xBEEF})
    dht_packet("ping-response", PingResponsePayload(0xBEEF), {"identifier": 0xBEEF})
    dht_packet("store-request", StoreRequestPayload(4660, token, target, [unsigned_value, signed_value]),
               {"identifier": 4660, "token": hx(token), "target": hx(target),
                "values": [hx(unsigned_value), hx(signed_value)]})
    dht_packet("store-response", StoreResponsePayload(4660), {"identifier": 4660})
    dht_packet("find-request", FindRequestPayload(513, lan, target, 3, True),
               {"identifier": 513, "lan_address": addr(lan), "target": hx(target), "offset": 3, "force_nodes": True})
    dht_packet("find-response-values", FindResponsePayload(514, token, [signed_value], []),
               {"identifier": 514, "token": hx(token), "values": [hx(signed_value)], "nodes": []})
    nodes = [{"address": addr(n.address), "public_key": hx(n.public_key.key_to_bin())} for n in (node_a, node_b)]
    dht_packet("find-response-nodes", FindResponsePayload(515, token, [], [node_a, node_b]),
               {"identifier": 515, "token": hx(token), "values": [], "nodes": nodes})
    dht_packet("store-peer-request", StorePeerRequestPayload(77, token, peer.mid),
               {"identifier": 77, "token": hx(token), "target": hx(peer.mid)})
    dht_packet("store-peer-response", StorePeerResponsePayload(77), {"identifier": 77})
    dht_packet("connect-peer-request", ConnectPeerRequestPayload(78, lan, target),
               {"identifier": 78, "lan_address": addr(lan), "target": hx(target)})
    dht_packet("connect-peer-response", ConnectPeerResponsePayload(78, [node_a, node_b]),
               {"identifier": 78, "nodes": nodes})

    mid = peer.mid
    for a in (UDPv4Address("127.0.0.1", 1), UDPv4Address("203.0.113.7", 2), UDPv4Address("255.255.255.255", 3),
              UDPv6Address("2001:db8::1", 4), UDPv6Address("fe80::1:2:3:4", 5)):
        out["node_ids"].append({"address": addr(a), "mid": hx(mid), "node_id": hx(calc_node_id(a, mid))})

    await dht.unload()
    endpoint.close()
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
