#!/usr/bin/env python3
"""A naive (wrong) lin-kv node for Maelstrom's protocol, in Python 3 with the standard library only.

Each node answers every request at once from its own copy of the data and tells the other nodes
about each write afterwards (gossip, fire and forget). Without faults and with fast messages it
often looks right; under a partition, or with messages delayed, a read on one node misses a
write another node has already acknowledged: a stale read, which a linearizability checker must
reject.
"""

import json
import sys

node_id = None
node_ids = []
store = {}


def send(dest, body):
    sys.stdout.write(json.dumps({"src": node_id, "dest": dest, "body": body}) + "\n")
    sys.stdout.flush()


def gossip(key, value):
    for other in node_ids:
        if other != node_id:
            send(other, {"type": "replicate", "key": key, "value": value})


def handle(message):
    global node_id, node_ids
    body = message["body"]
    kind = body["type"]
    client = message["src"]
    if kind == "init":
        node_id, node_ids = body["node_id"], body["node_ids"]
        send(client, {"type": "init_ok", "in_reply_to": body["msg_id"]})
    elif kind == "read":
        key = str(body["key"])
        if key in store:
            send(client, {"type": "read_ok", "value": store[key], "in_reply_to": body["msg_id"]})
        else:
            send(client, {"type": "error", "code": 20, "text": "absent", "in_reply_to": body["msg_id"]})
    elif kind == "write":
        store[str(body["key"])] = body["value"]
        send(client, {"type": "write_ok", "in_reply_to": body["msg_id"]})
        gossip(str(body["key"]), body["value"])
    elif kind == "cas":
        key = str(body["key"])
        if key not in store:
            send(client, {"type": "error", "code": 20, "text": "absent", "in_reply_to": body["msg_id"]})
        elif store[key] != body["from"]:
            send(client, {"type": "error", "code": 22, "text": "mismatch", "in_reply_to": body["msg_id"]})
        else:
            store[key] = body["to"]
            send(client, {"type": "cas_ok", "in_reply_to": body["msg_id"]})
            gossip(key, body["to"])
    elif kind == "replicate":
        store[body["key"]] = body["value"]


def main():
    for line in sys.stdin:
        if line.strip():
            handle(json.loads(line))


if __name__ == "__main__":
    main()
