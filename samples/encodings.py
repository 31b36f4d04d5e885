"""Binary formats the sample apps store: Telegram TL objects, Apple typedstreams, wallet addresses, crypt14.

Everything here is deterministic: the same arguments give the same bytes.
"""

from __future__ import annotations

import hashlib
import random
import struct

# --- Telegram TL (cache4.db messages_v2.data) -------------------------------------------------------------

# Constructor ids as in the Android client (TLRPC / TL_legacy_message, generated TlGen classes).
TL_MESSAGE_LAYER173 = 0x76BEC211  # message#76bec211, flags only (no flags2)
TL_PEER_USER = 0x59511722  # peerUser#59511722 user_id:long
TL_PEER_CHAT = 0x36C6019A  # peerChat#36c6019a chat_id:long
TL_PEER_CHANNEL = 0xA2A5371E  # peerChannel#a2a5371e channel_id:long
FLAG_OUT = 1 << 1
FLAG_FROM_ID = 1 << 8


def tl_string(text: str) -> bytes:
    """A TL string: length (one byte, or 0xfe and three bytes), UTF-8 bytes, zero padding to 4."""
    data = text.encode("utf-8")
    if len(data) < 254:
        head = bytes([len(data)])
    else:
        head = b"\xfe" + len(data).to_bytes(3, "little")
    body = head + data
    return body + b"\x00" * (-len(body) % 4)


def tl_peer(kind: str, peer_id: int) -> bytes:
    constructor = {"user": TL_PEER_USER, "chat": TL_PEER_CHAT, "channel": TL_PEER_CHANNEL}[kind]
    return struct.pack("<Iq", constructor, peer_id)


def tl_message(
    *,
    mid: int,
    date: int,
    text: str,
    peer: tuple[str, int],
    from_user: int | None = None,
    out: bool = False,
) -> bytes:
    """A TL_message (layer 173) as TL_message.serializeToStream writes it, then the client's attachPath.

    Field order: constructor, flags, id, from_id (flags.8), peer_id, date, message. The Android client
    appends its local attachPath string after the TL object when it stores a message (Message.writeAttachPath
    writes " " when there is none), so every blob ends with the TL string " ".
    """
    flags = (FLAG_OUT if out else 0) | (FLAG_FROM_ID if from_user is not None else 0)
    blob = struct.pack("<IIi", TL_MESSAGE_LAYER173, flags, mid)
    if from_user is not None:
        blob += tl_peer("user", from_user)
    blob += tl_peer(*peer)
    blob += struct.pack("<i", date)
    blob += tl_string(text)
    return blob + tl_string(" ")


# --- Apple typedstream (sms.db message.attributedBody) ------------------------------------------------------


def _ts_int(value: int) -> bytes:
    """typedstream integer: one signed byte, or 0x81 + int16, or 0x82 + int32 (little endian)."""
    if -110 <= value < 128:
        return struct.pack("<b", value)
    if -32768 <= value < 32768:
        return b"\x81" + struct.pack("<h", value)
    return b"\x82" + struct.pack("<i", value)


def attributed_body(text: str) -> bytes:
    """An NSAttributedString archived with NSArchiver (typedstream v4), as Messages stores attributedBody.

    One run covering the whole string with the attribute ``__kIMMessagePartAttributeName = 0``, the shape
    iOS writes for a plain one-part message. The string is UTF-8 after the ``NSString … '+'`` header; the
    range length counts UTF-16 code units.
    """
    utf8 = text.encode("utf-8")
    utf16_units = len(text.encode("utf-16-le")) // 2
    return (
        b"\x04\x0bstreamtyped\x81\xe8\x03"  # version 4, signature, system version 1000
        b"\x84\x01@"  # type "@": an object
        b"\x84\x84\x84\x12NSAttributedString\x00"  # new class, version 0
        b"\x84\x84\x08NSObject\x00\x85"  # its superclass, then the end of the chain
        b"\x92\x84\x84\x84\x08NSString\x01\x94"  # the string object: class NSString v1, super NSObject
        b"\x84\x01+" + _ts_int(len(utf8)) + utf8 + b"\x86"  # type "+": UTF-8 bytes
        b"\x84\x02iI\x01"
        + _ts_int(utf16_units)  # the run: location 1, length in UTF-16 units
        + b"\x92\x84\x84\x84\x0cNSDictionary\x00\x94\x84\x01i\x01"  # its attributes: a dictionary of one
        b"\x92\x84\x96\x96\x1d__kIMMessagePartAttributeName\x86"
        b"\x92\x84\x84\x84\x08NSNumber\x00\x84\x84\x07NSValue\x00\x94\x84\x01*\x84\x99\x99\x00\x86\x86\x86"
    )


# --- Wallet addresses -------------------------------------------------------------------------------------

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58check(payload: bytes) -> str:
    data = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = _B58[rest] + out
    pad = len(data) - len(data.lstrip(b"\x00"))
    return "1" * pad + out


def tron_address(seed: str) -> str:
    """A well-formed TRON address (0x41 + 20 bytes, Base58Check) made from a label: no one has its key."""
    return base58check(b"\x41" + hashlib.sha256(seed.encode()).digest()[:20])


_RC = [
    0x0000000000000001,
    0x0000000000008082,
    0x800000000000808A,
    0x8000000080008000,
    0x000000000000808B,
    0x0000000080000001,
    0x8000000080008081,
    0x8000000000008009,
    0x000000000000008A,
    0x0000000000000088,
    0x0000000080008009,
    0x000000008000000A,
    0x000000008000808B,
    0x800000000000008B,
    0x8000000000008089,
    0x8000000000008003,
    0x8000000000008002,
    0x8000000000000080,
    0x000000000000800A,
    0x800000008000000A,
    0x8000000080008081,
    0x8000000000008080,
    0x0000000080000001,
    0x8000000080008008,
]
_ROT = [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14]
_MASK = (1 << 64) - 1


def _keccak_f(state: list[int]) -> None:
    for rc in _RC:
        c = [state[x] ^ state[x + 5] ^ state[x + 10] ^ state[x + 15] ^ state[x + 20] for x in range(5)]
        d = [c[(x - 1) % 5] ^ (((c[(x + 1) % 5] << 1) | (c[(x + 1) % 5] >> 63)) & _MASK) for x in range(5)]
        state[:] = [state[i] ^ d[i % 5] for i in range(25)]
        b = [0] * 25
        for x in range(5):
            for y in range(5):
                i = x + 5 * y
                r = _ROT[i]
                b[y + 5 * ((2 * x + 3 * y) % 5)] = (
                    ((state[i] << r) | (state[i] >> (64 - r))) & _MASK if r else state[i]
                )
        state[:] = [
            b[i] ^ ((~b[(i % 5 + 1) % 5 + 5 * (i // 5)]) & b[(i % 5 + 2) % 5 + 5 * (i // 5)])
            for i in range(25)
        ]
        state[0] ^= rc


def keccak256(data: bytes) -> bytes:
    """Keccak-256 as Ethereum uses it (the original padding, not SHA3-256's)."""
    rate = 136
    padded = bytearray(data) + b"\x01" + b"\x00" * (-(len(data) + 1) % rate)
    padded[-1] |= 0x80
    state = [0] * 25
    for start in range(0, len(padded), rate):
        block = padded[start : start + rate]
        for i in range(rate // 8):
            state[i] ^= int.from_bytes(block[8 * i : 8 * i + 8], "little")
        _keccak_f(state)
    return b"".join(state[i].to_bytes(8, "little") for i in range(4))


def eth_address(seed: str) -> str:
    """A well-formed Ethereum address with its EIP-55 mixed-case checksum, derived from a label."""
    hexaddr = hashlib.sha256(seed.encode()).hexdigest()[:40]
    digest = keccak256(hexaddr.encode()).hex()
    return "0x" + "".join(ch.upper() if int(digest[i], 16) >= 8 else ch for i, ch in enumerate(hexaddr))


# --- Encrypted stores ---------------------------------------------------------------------------------------


def _pb_varint(value: int) -> bytes:
    out = b""
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out += bytes([byte | 0x80])
        else:
            return out + bytes([byte])


def _pb_field(number: int, payload: bytes) -> bytes:
    return _pb_varint(number << 3 | 2) + _pb_varint(len(payload)) + payload


def crypt14(seed: str, size: int, app_version: str, jid_suffix: str) -> bytes:
    """Random bytes in the shape of a WhatsApp ``msgstore.db.crypt14`` backup (not decryptable by anyone).

    Layout as wa-crypt-tools reads it: one byte giving the protobuf header's size, a 0x01 feature byte,
    the BackupPrefix protobuf (key type; the C14 cipher: version, key version, 32-byte server salt,
    16-byte Google id, 16-byte IV; version info: app version and the last two digits of the phone's
    number), then the AES-GCM ciphertext, its 16-byte tag and an MD5 of everything before it.
    """
    rng = random.Random(seed)
    cipher = (
        _pb_field(1, b"\x08\x01")  # cipher version 1
        + _pb_field(2, b"\x02")  # key version
        + _pb_field(3, rng.randbytes(32))  # server salt
        + _pb_field(4, rng.randbytes(16))  # google id
        + _pb_field(5, rng.randbytes(16))  # IV
    )
    info = _pb_field(1, app_version.encode()) + _pb_field(2, jid_suffix.encode())
    prefix = b"\x08\x00" + _pb_field(2, cipher) + _pb_field(4, info)
    head = bytes([len(prefix)]) + b"\x01" + prefix
    body = head + rng.randbytes(size - len(head) - 32) + rng.randbytes(16)
    return body + hashlib.md5(body).digest()


def sqlcipher_bytes(seed: str, pages: int, page_size: int = 4096) -> bytes:
    """What a SQLCipher database looks like from outside: a 16-byte salt, then pages of ciphertext."""
    return random.Random(seed).randbytes(pages * page_size)
