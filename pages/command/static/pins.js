/**
 * New reports pinned on top of the board until opened here (id -> when it came), and those
 * already sounded: kept for the tab's session (sessionStorage), so a reload or a resync's replay
 * neither unpins nor sounds again. Written at most once per `flush` (the page calls it on the
 * clock's one-second tick and when it is hidden): at 10 reports a second, writing the whole list
 * per report cost more than drawing it. Pure but for `store` (tests/js/pins.test.mjs).
 */

const PINNED = "new-pinned", CHIMED = "new-chimed", CHIMED_KEPT = 500;

export function createPins(store = globalThis.sessionStorage) {
  const read = (key) => { try { return JSON.parse(store.getItem(key) || "[]"); } catch { return []; } };
  /** id -> when it came: the board's order reads it (order.js, board.js). */
  const pinned = new Map(read(PINNED));
  const chimed = new Set(read(CHIMED));
  let dirty = false;

  return {
    pinned,
    /** Whether this report was already sounded here (a replay must not sound it again). */
    chimed: (id) => chimed.has(id),
    /** A new report: sounded once, pinned. */
    pin(id, at) { chimed.add(id); pinned.set(id, at); dirty = true; },
    /** Opened here: unpinned; whether it was pinned. */
    unpin(id) { const was = pinned.delete(id); dirty ||= was; return was; },
    /** Writes the pins to the store if they changed since the last write. */
    flush() {
      if (!dirty) return;
      dirty = false;
      store.setItem(PINNED, JSON.stringify(Array.from(pinned)));
      store.setItem(CHIMED, JSON.stringify(Array.from(chimed).slice(-CHIMED_KEPT)));
    },
  };
}
