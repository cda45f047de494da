#!/usr/bin/env python3
"""Recompute ipledger ledger entry hashes (docs/LEDGER.md), standard library only.

Usage:
  python3 docs/verify_entry.py < export.jsonl
      an export (`ipledger export`, or GET /v1/ledger/export): checks every line and the links
  python3 docs/verify_entry.py --entries < page.json
      a page of GET /v1/ledger/entries ({"items": [...]}): re-canonicalises each payload the
      way docs/LEDGER.md says, then checks the hashes and links in the same way

An export or page that starts after entry 1 is linked to its first entry's prev_hash: the
script prints it, and you compare it with a hash you hold. Exit status 1 names the first
bad seq.
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
        e["recorded_at"].encode(),      # six fraction digits, as shown
        e["payload"].encode(),          # the jsonb text, exactly as exported
        (e.get("idempotency_key") or "").encode(),  # "" (export) or null (API) when none
        bytes.fromhex(e["prev_hash"]),
    ]
    return hashlib.sha256(b"".join(field(p) for p in parts)).hexdigest()


class Number(str):
    """A JSON number kept as the text it was written with (1.50 stays 1.50)."""


def canonical(v) -> str:
    """The payload text as Postgres prints jsonb: docs/LEDGER.md, "The payload text"."""
    if isinstance(v, Number):
        return str(v)
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, str):
        out = ['"']
        for c in v:
            if c == '"':
                out.append('\\"')
            elif c == "\\":
                out.append("\\\\")
            elif c in "\b\f\n\r\t":
                out.append({"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}[c])
            elif ord(c) < 0x20:
                out.append("\\u%04x" % ord(c))
            else:
                out.append(c)
        out.append('"')
        return "".join(out)
    if isinstance(v, list):
        return "[" + ", ".join(canonical(x) for x in v) + "]"
    if isinstance(v, dict):
        keys = sorted(v, key=lambda k: (len(k.encode()), k.encode()))
        return "{" + ", ".join(canonical(k) + ": " + canonical(v[k]) for k in keys) + "}"
    raise ValueError(f"unexpected JSON value {v!r}")


def entries_from_api(page: dict):
    for e in page["items"]:
        e = dict(e)
        e["seq"] = int(e["seq"])
        e["payload"] = canonical(e["payload"])
        yield e


def check(entries) -> int:
    prev, n, first = None, 0, None
    for e in entries:
        if first is None:
            first = e
            prev = e["prev_hash"] if e["seq"] != 1 else "00" * 32
            want = e["seq"]
        if e["seq"] != want or e["prev_hash"] != prev or entry_hash(e) != e["hash"]:
            print(f"first bad seq: {want}")
            return 1
        prev, want, n = e["hash"], e["seq"] + 1, n + 1
    if first is not None and first["seq"] != 1:
        print(f"from seq {first['seq']}, linked to prev_hash {first['prev_hash']}: compare it with a hash you hold")
    print(f"ok: {n} entries, head {prev or '00' * 32}")
    return 0


if __name__ == "__main__":
    num = dict(parse_float=Number, parse_int=Number)
    if sys.argv[1:] == ["--entries"]:
        sys.exit(check(entries_from_api(json.load(sys.stdin, **num))))
    if sys.argv[1:] in (["-h"], ["--help"]):
        print(__doc__)
        sys.exit(0)
    if sys.argv[1:]:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(check(json.loads(line) for line in sys.stdin if line.strip()))
