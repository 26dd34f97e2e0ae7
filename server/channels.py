"""The names the processes meet by: the Socket.IO namespace the clients join, the RQ queue of the
timer jobs and the Redis channel of the wake-up notes. A module of its own, below the socket
handlers (`server.live`) and the wiring (`server.realtime`), so that neither imports the other."""

NAMESPACE = "/live"
QUEUE = "timers"
WAKE_CHANNEL = "jiyuan311:events"
