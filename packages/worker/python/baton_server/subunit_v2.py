"""A subunit v2 encoder and an incremental decoder, byte-compatible with python-subunit.

Only what a test server needs: writing result and RPC packets, and reading the RPC
packets a client sends. The layout follows python-subunit's ``subunit/v2.py``.
"""

import struct
import zlib

SIGNATURE = 0xB3
FLAG_VERSION_2 = 0x2000
FLAG_TEST_ID = 0x0800
FLAG_ROUTE_CODE = 0x0400
FLAG_TIMESTAMP = 0x0200
FLAG_RUNNABLE = 0x0100
FLAG_TAGS = 0x0080
FLAG_FILE_CONTENT = 0x0040
FLAG_MIME_TYPE = 0x0020
FLAG_EOF = 0x0010
STATUS_MASK = 0x0007
VERSION_MASK = 0xF000

#: A packet's length is a varint of at most three bytes: 4 MiB - 1 in all.
MAX_PACKET_SIZE = 4 * 1024 * 1024 - 1
#: Attachments are split into chunks of this size, well under the packet limit: a mirror
#: of @baton/subunit's ATTACHMENT_CHUNK_BYTES, so that both sides of the channel cut alike.
ATTACHMENT_CHUNK_BYTES = 64 * 1024

STATUSES = (None, "exists", "inprogress", "success", "uxsuccess", "skip", "fail", "xfail")
_STATUS_CODES = {name: code for code, name in enumerate(STATUSES) if name is not None}


class SubunitError(ValueError):
    """Bytes that are not a valid subunit v2 packet."""


def _varint(value):
    if value < 0x40:
        return struct.pack(">B", value)
    if value < 0x4000:
        return struct.pack(">H", value | 0x4000)
    if value < 0x400000:
        return struct.pack(">I", value | 0x800000)[1:]
    if value < 0x40000000:
        return struct.pack(">I", value | 0xC0000000)
    raise SubunitError("value %d is too large for a subunit varint" % value)


def _string(data):
    return _varint(len(data)) + data


def encode_packet(test_id=None, status=None, timestamp=None, tags=None, mime_type=None,
                  file_name=None, file_bytes=None, eof=False, runnable=True, route_code=None):
    """The bytes of one packet. ``timestamp`` is ``(seconds, nanos)`` since the epoch."""
    flags = FLAG_VERSION_2 | (_STATUS_CODES[status] if status else 0)
    body = []
    if timestamp is not None:
        flags |= FLAG_TIMESTAMP
        body.append(struct.pack(">I", timestamp[0]) + _varint(timestamp[1]))
    if test_id is not None:
        flags |= FLAG_TEST_ID
        body.append(_string(test_id.encode("utf-8")))
    if tags:
        flags |= FLAG_TAGS
        body.append(_varint(len(tags)) + b"".join(_string(t.encode("utf-8")) for t in tags))
    if runnable:
        flags |= FLAG_RUNNABLE
    if mime_type:
        flags |= FLAG_MIME_TYPE
        body.append(_string(mime_type.encode("utf-8")))
    if file_name is not None:
        flags |= FLAG_FILE_CONTENT
        body.append(_string(file_name.encode("utf-8")) + _string(file_bytes))
    if eof:
        flags |= FLAG_EOF
    if route_code is not None:
        flags |= FLAG_ROUTE_CODE
        body.append(_string(route_code.encode("utf-8")))
    payload = b"".join(body)
    # The length counts the whole packet including its own varint (python-subunit's
    # thresholds for the varint size).
    base = 1 + 2 + len(payload) + 4
    if base <= 62:
        total = base + 1
    elif base <= 16381:
        total = base + 2
    elif base <= 4194300:
        total = base + 3
    else:
        raise SubunitError("packet of %d bytes exceeds the subunit limit" % base)
    head = struct.pack(">BH", SIGNATURE, flags) + _varint(total) + payload
    return head + struct.pack(">I", zlib.crc32(head) & 0xFFFFFFFF)


def encode_file(test_id, name, data, mime_type, timestamp=None):
    """The packets of a whole attachment, split into chunks, the last one marked eof."""
    chunks = [data[i:i + ATTACHMENT_CHUNK_BYTES] for i in range(0, len(data), ATTACHMENT_CHUNK_BYTES)] or [b""]
    out = []
    for index, chunk in enumerate(chunks):
        out.append(encode_packet(
            test_id=test_id, timestamp=timestamp, file_name=name, file_bytes=chunk,
            mime_type=mime_type if index == 0 else None, eof=index == len(chunks) - 1))
    return b"".join(out)


class Packet(object):
    __slots__ = ("test_id", "status", "mime_type", "file_name", "file_bytes")

    def __init__(self, test_id, status, mime_type, file_name, file_bytes):
        self.test_id = test_id
        self.status = status
        self.mime_type = mime_type
        self.file_name = file_name
        self.file_bytes = file_bytes


class Decoder(object):
    """An incremental decoder: ``feed`` bytes, get the complete packets back.

    Bytes outside packets and corrupt packets are passed to ``on_garbage`` (with a
    reason) and skipped up to the next signature byte, as python-subunit does.
    """

    def __init__(self, on_garbage):
        self._buf = bytearray()
        self._on_garbage = on_garbage

    def feed(self, data):
        self._buf += data
        packets = []
        buf = self._buf
        while buf:
            if buf[0] != SIGNATURE:
                end = buf.find(bytes([SIGNATURE]))
                end = len(buf) if end < 0 else end
                self._on_garbage(bytes(buf[:end]), "non-subunit bytes")
                del buf[:end]
                continue
            if len(buf) < 4 or len(buf) < 3 + (buf[3] >> 6) + 1:
                break
            flags = struct.unpack(">H", bytes(buf[1:3]))[0]
            size, pos = self._read_varint(buf, 3)
            if flags & VERSION_MASK != FLAG_VERSION_2 or size is None or size < 8:
                self._skip("bad packet header")
                continue
            if size > MAX_PACKET_SIZE:
                self._skip("packet of %d bytes exceeds the subunit limit" % size)
                continue
            if len(buf) < size:
                break
            packet = bytes(buf[:size])
            if zlib.crc32(packet[:-4]) & 0xFFFFFFFF != struct.unpack(">I", packet[-4:])[0]:
                self._skip("bad CRC")
                continue
            del buf[:size]
            try:
                packets.append(self._parse(flags, packet, pos))
            except (SubunitError, UnicodeDecodeError, struct.error, IndexError) as e:
                self._on_garbage(packet, "unparseable packet: %s" % e)
        return packets

    def _skip(self, reason):
        self._on_garbage(bytes(self._buf[:1]), reason)
        del self._buf[:1]

    @staticmethod
    def _read_varint(buf, pos):
        """The varint at ``pos`` and the position after it; None for one subunit forbids."""
        first = buf[pos]
        size = (first >> 6) + 1
        if size == 4 or len(buf) < pos + size:
            return None, pos
        value = first & 0x3F
        for i in range(1, size):
            value = (value << 8) | buf[pos + i]
        return value, pos + size

    def _parse(self, flags, packet, pos):
        end = len(packet) - 4

        def string(at):
            length, at = self._read_varint(packet, at)
            if length is None or at + length > end:
                raise SubunitError("string overruns the packet")
            return packet[at:at + length], at + length

        test_id = mime_type = file_name = file_bytes = None
        if flags & FLAG_TIMESTAMP:
            nanos, pos = self._read_varint(packet, pos + 4)
            if nanos is None:
                raise SubunitError("bad timestamp")
        if flags & FLAG_TEST_ID:
            raw, pos = string(pos)
            test_id = raw.decode("utf-8")
        if flags & FLAG_TAGS:
            count, pos = self._read_varint(packet, pos)
            if count is None:
                raise SubunitError("bad tag count")
            for _ in range(count):
                _, pos = string(pos)
        if flags & FLAG_MIME_TYPE:
            raw, pos = string(pos)
            mime_type = raw.decode("utf-8")
        if flags & FLAG_FILE_CONTENT:
            raw, pos = string(pos)
            file_name = raw.decode("utf-8")
            file_bytes, pos = string(pos)
        return Packet(test_id, STATUSES[flags & STATUS_MASK], mime_type, file_name, file_bytes)
