"""The RPC channel to the worker: JSON messages as subunit packets on two descriptors.

Writes come from two threads (results from the main thread, Pong and Cancelled from
the reader thread), so every write takes one lock and writes whole packets.
"""

import json
import os
import sys
import threading

from .subunit_v2 import Decoder, encode_packet

RPC_TEST_ID = "testrepository-rpc"
RPC_MIME_TYPE = "application/json"
#: The largest message JSON accepted, as in packages/protocol (MAX_MESSAGE_BYTES).
MAX_MESSAGE_BYTES = 1024 * 1024
#: The environment variable naming the descriptors: "READ_FD,WRITE_FD".
FDS_ENV = "BATON_RPC_FDS"


class ChannelClosed(Exception):
    """The worker closed its end of the channel."""


class BadMessage(Exception):
    """A packet that is not a valid message: ``code`` says how, ``nonce`` whose it was."""

    def __init__(self, code, message, nonce=None):
        Exception.__init__(self, message)
        self.code = code
        self.nonce = nonce


def log(text):
    """A line on the real stderr, which the worker keeps as the server's log."""
    sys.__stderr__.write("baton_server: %s\n" % text)
    sys.__stderr__.flush()


class Channel(object):
    def __init__(self, read_fd, write_fd):
        self._read_fd = read_fd
        self._write_fd = write_fd
        self._lock = threading.Lock()
        self._decoder = Decoder(lambda data, why: log("%s (%d bytes) on the channel ignored" % (why, len(data))))

    def write(self, data):
        with self._lock:
            view = memoryview(data)
            while view:
                try:
                    written = os.write(self._write_fd, view)
                except (BrokenPipeError, ConnectionResetError):
                    raise ChannelClosed()
                view = view[written:]

    def send(self, message):
        payload = json.dumps(message, separators=(",", ":")).encode("utf-8")
        self.write(encode_packet(test_id=RPC_TEST_ID, mime_type=RPC_MIME_TYPE, file_name="message",
                                 file_bytes=payload, eof=True))

    def messages(self):
        """Yields each incoming message (a dict) or BadMessage, until the worker closes."""
        while True:
            try:
                data = os.read(self._read_fd, 65536)
            except (ConnectionResetError, OSError):
                data = b""
            if not data:
                return
            for packet in self._decoder.feed(data):
                if packet.test_id != RPC_TEST_ID:
                    log("a packet for %r on the channel ignored: workers send only RPC packets" % packet.test_id)
                    continue
                yield _parse(packet)


def _parse(packet):
    if packet.file_bytes is None:
        return BadMessage("BATON_PROTOCOL_BAD_MESSAGE", "RPC packet without a JSON attachment")
    if len(packet.file_bytes) > MAX_MESSAGE_BYTES:
        return BadMessage("BATON_PROTOCOL_TOO_LARGE", "message of %d bytes exceeds the limit of %d bytes"
                          % (len(packet.file_bytes), MAX_MESSAGE_BYTES))
    try:
        message = json.loads(packet.file_bytes.decode("utf-8"))
    except ValueError as e:
        return BadMessage("BATON_PROTOCOL_BAD_MESSAGE", "message is not UTF-8 JSON: %s" % e)
    if not isinstance(message, dict):
        return BadMessage("BATON_PROTOCOL_BAD_MESSAGE", "message is not a JSON object")
    nonce = message.get("nonce")
    if not isinstance(nonce, str):
        nonce = None
    if not isinstance(message.get("msg"), str):
        return BadMessage("BATON_PROTOCOL_BAD_MESSAGE", "message has no string 'msg' field", nonce)
    return message
