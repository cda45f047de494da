#!/usr/bin/env python3
"""Recompute an ipledger ledger entry hash (docs/LEDGER.md) from an export line, standard library only.

Usage: python3 docs/verify_entry.py < export.jsonl   # checks every line and the links
"""
import hashlib, json, sys

def field(b: bytes) -> bytes:
    return len(b).to_bytes(4, "big") + b

def entry_hash(e: dict) -> str:
    parts = [
        b"ipledger/entry/v1",
        str(e["seq"]).encode(),
        e["kind"].encode(),
        e["subject"].encode(),
        e["actor"].encode(),
        e["effective_on"].encode(),
        e["recorded_at"].encode(),
        e["payload"].encode(),          # the jsonb text, exactly as exported
        (e.get("idempotency_key") or "").encode(),
        bytes.fromhex(e["prev_hash"]),
    ]
    return hashlib.sha256(b"".join(field(p) for p in parts)).hexdigest()

if __name__ == "__main__":
    prev = "00" * 32
    n = 0
    for line in sys.stdin:
        e = json.loads(line)
        n += 1
        if e["seq"] != n or e["prev_hash"] != prev or entry_hash(e) != e["hash"]:
            print(f"first bad seq: {n}")
            sys.exit(1)
        prev = e["hash"]
    print(f"ok: {n} entries, head {prev}")
