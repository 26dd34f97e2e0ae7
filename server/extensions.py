"""Extensions, created unbound here and bound in `create_app`."""

from flask_socketio import SocketIO

from mobile_api.jsonio import SocketJSON

# Packets in are depth-limited and text-checked, events out never carry NaN (allow_nan=False).
socketio = SocketIO(json=SocketJSON)
