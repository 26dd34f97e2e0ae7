"""Extensions, created unbound here and bound in `create_app`."""

from flask_socketio import SocketIO

from mobile_api.jsonio import SocketJSON
from server.live_payloads import LivePacket, install_engine_packet

# Packets in are depth-limited and text-checked, events out never carry NaN (allow_nan=False);
# a packet or frame that cannot be decoded is answered or dropped, never an exception.
install_engine_packet()
socketio = SocketIO(json=SocketJSON, serializer=LivePacket)
