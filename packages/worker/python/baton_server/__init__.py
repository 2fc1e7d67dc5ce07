"""baton's reference test server for Python's unittest (standard library only).

A worker starts it as a child process and drives it over the RPC protocol of
packages/protocol (subunit v2 packets carrying JSON messages) on two dedicated file
descriptors, never on stdout/stdin. See ../README.md (packages/worker/python/README.md).
"""

#: The protocol versions this server speaks (see packages/protocol/README.md).
PROTOCOL_MIN = 1
PROTOCOL_MAX = 2
