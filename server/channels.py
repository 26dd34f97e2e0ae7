"""The names the processes meet by: the Socket.IO namespace the clients join, the RQ queue of the
timer jobs, the Redis channels of the wake-up notes and of the users whose tokens changed. A
module of its own, below the socket handlers (`server.live`) and the wiring (`server.realtime`),
so that neither imports the other."""

NAMESPACE = "/live"
QUEUE = "timers"
WAKE_CHANNEL = "jiyuan311:events"
USERS_CHANNEL = "jiyuan311:users"  # ids of users revoked or (de)activated: caches forget them
