/* The /live connection as every page and app keeps it (README "Real time"): Socket.IO 4 over
 * websocket with a fresh token at each (re)connection; every event applied once, in `seq`
 * order (an event at or below the last applied is a copy: in the map's read already, or heard
 * twice); and after every (re)connection a `resync` from the last applied seq, paged while
 * `more`, with what arrives meanwhile held back and applied after it in seq order.
 * `officer.position` has its own seq (positions are state, not history) and is applied at once.
 * The ordering is `createSequencer`, pure (tests/js/live.test.mjs); `connectLive` wires it to a
 * socket. */

export const UNSEQUENCED = new Set(["officer.position"]);

/** Applies events through `apply(name, data)` once each, in seq order, from `seq` on. */
export function createSequencer({ seq = 0, apply }) {
  let last = seq, holding = false, held = [];

  function applyOne(name, data) {
    if (UNSEQUENCED.has(name)) { apply(name, data); return; }
    if (typeof data.seq !== "number" || data.seq <= last) return;  // seen already
    last = data.seq;
    apply(name, data);
  }

  return {
    /** An event as the socket delivered it. */
    receive(name, data) {
      if (!data || typeof data !== "object") return;
      if (holding && !UNSEQUENCED.has(name)) { held.push([name, data]); return; }
      applyOne(name, data);
    },
    /** A page of `resync`'s answer: [{event, data}] in seq order. */
    replay(events) { for (const e of events) if (e && e.data) applyOne(e.event, e.data); },
    hold() { holding = true; },
    release() {
      holding = false;
      const q = held;
      held = [];
      q.sort((a, b) => a[1].seq - b[1].seq).forEach(([name, data]) => applyOne(name, data));
    },
    /** A read that holds everything up to `seq` (the map's): later events only. */
    advance(seq) { last = Math.max(last, seq); },
    lastSeq: () => last,
  };
}

/** Connects (call `start()`) with `io` (socket.io-client's global), `token()` and `forget()`
 * from auth.js; `onUp`/`onDown` say when the link is up or down. `counts` are for the curious
 * (tests, an operator's console): connects and completed resyncs. */
export function connectLive({ io, token, forget, sequencer, onUp, onDown,
                              url = "/live", resyncTimeoutMs = 15000 }) {
  const counts = { connects: 0, resyncs: 0 };
  const socket = io(url, {
    transports: ["websocket"], autoConnect: false, reconnectionDelayMax: 5000,
    auth: (cb) => { token().then((tok) => cb({ token: tok }), () => cb({})); },
  });

  function ask(since) {
    return new Promise((resolve, reject) => {
      socket.timeout(resyncTimeoutMs).emit("resync", { since_seq: since }, (err, ans) => {
        if (err || !ans || !ans.ok) reject(err || ans); else resolve(ans);
      });
    });
  }

  async function resync() {
    sequencer.hold();
    try {
      let since = sequencer.lastSeq();
      for (;;) {
        const ans = await ask(since);
        sequencer.replay(ans.events);
        if (!ans.more) break;
        since = ans.last_seq;
      }
      counts.resyncs += 1;
    } catch {
      // The link went down again: the next connection resyncs from where this one got to.
    } finally {
      sequencer.release();
    }
  }

  socket.on("connect", () => { counts.connects += 1; onUp(); resync(); });
  socket.on("disconnect", (reason) => {
    onDown();
    if (reason === "io server disconnect") {  // the server closed it (e.g. the token ran out)
      forget();
      setTimeout(() => socket.connect(), 1000);
    }
  });
  socket.on("connect_error", () => {
    onDown();
    forget();  // refused: perhaps the token expired; the next try gets a fresh one
    if (!socket.active) setTimeout(() => socket.connect(), 2000);
  });
  socket.onAny((name, data) => sequencer.receive(name, data));

  return { socket, counts, start: () => socket.connect() };
}
