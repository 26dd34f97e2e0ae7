// When each case's state next changes by the clock (pages/command/static/clockqueue.js): the
// cases due by now, each once, queued again at their next instant; a case changed by an event
// forgets its old place, and the queue does not grow with events.
import assert from "node:assert/strict";
import { test } from "node:test";

import { createClockQueue } from "../../pages/command/static/clockqueue.js";

const aCase = (id, nearAt, due) => ({ id, clocks: { nearAt, due, calm: "on_time", milestones: [] } });

test("the warning, then the instant after the deadline, then nothing", () => {
  const q = createClockQueue();
  q.add(aCase("a", 100, 200), 0);
  q.add(aCase("b", 150, 300), 0);
  assert.deepEqual(q.due(99), []);
  assert.deepEqual(q.due(100), ["a"]);
  assert.deepEqual(q.due(200), ["b"]);  // b's warning; a's deadline is late only after 200
  assert.deepEqual(q.due(201), ["a"]);
  assert.deepEqual(q.due(1000), ["b"]);
  assert.deepEqual(q.due(5000), []);
  assert.equal(q.size, 0);
});

test("an event's new instants replace the old ones, and the queue stays small", () => {
  const q = createClockQueue();
  for (let i = 0; i < 10000; i += 1) q.add(aCase("a", 100 + i, 200 + i), 0);
  assert.ok(q.queued <= 130, q.queued);
  assert.deepEqual(q.due(100 + 9998), []);
  assert.deepEqual(q.due(100 + 9999), ["a"]);
  q.delete("a");
  assert.deepEqual(q.due(1e9), []);
});
