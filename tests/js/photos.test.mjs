// The photo arithmetic (pages/static/shared/photos.js): the long edge at most 1,600 px, never
// enlarged, and the JPEG at most 400 KB, found by lowering the quality, then the size.
import assert from "node:assert/strict";
import { test } from "node:test";

import { MAX_BYTES, MAX_EDGE, encodeWithin, fitSize } from "../../pages/static/shared/photos.js";

test("the long edge is brought to 1,600 px, the aspect kept; a small photo is left as it is", () => {
  assert.equal(MAX_EDGE, 1600);
  assert.equal(MAX_BYTES, 400_000);
  assert.deepEqual(fitSize(4000, 3000), { width: 1600, height: 1200 });
  assert.deepEqual(fitSize(3000, 4000), { width: 1200, height: 1600 });
  assert.deepEqual(fitSize(1600, 900), { width: 1600, height: 900 });   // at the limit
  assert.deepEqual(fitSize(1601, 900), { width: 1600, height: 899 });   // one past it
  assert.deepEqual(fitSize(800, 600), { width: 800, height: 600 });
  assert.deepEqual(fitSize(10000, 1), { width: 1600, height: 1 });
  assert.throws(() => fitSize(0, 10), RangeError);
});

/** A fake JPEG encoder: bytes grow with the area and the quality. */
function encoder(bytesPerPixelAtFull) {
  const calls = [];
  const encode = async (w, h, q) => { calls.push([w, h, q]); return { size: Math.round(w * h * bytesPerPixelAtFull * q) }; };
  return { encode, calls };
}

test("the first quality that fits is kept", async () => {
  const e = encoder(0.2);  // 1600x1200 at 0.85 = 326 KB
  const got = await encodeWithin(e.encode, 4000, 3000);
  assert.equal(got.quality, 0.85);
  assert.equal(e.calls.length, 1);
  assert.ok(got.blob.size <= 400_000);
});

test("a busy photo is encoded at lower qualities, then smaller, until it fits", async () => {
  const e = encoder(1.0);  // 1600x1200 at 0.45 = 864 KB: no quality is enough
  const got = await encodeWithin(e.encode, 4000, 3000);
  assert.ok(got.blob.size <= 400_000, got.blob.size);
  assert.ok(got.width < 1600 && got.width / got.height > 1.33 && got.width / got.height < 1.34);
  assert.deepEqual(e.calls.slice(0, 5).map((c) => c[2]), [0.85, 0.75, 0.65, 0.55, 0.45]);
});

test("exactly at 400,000 bytes fits; one byte more does not", async () => {
  const at = await encodeWithin(async () => ({ size: 400_000 }), 100, 100);
  assert.equal(at.quality, 0.85);
  let n = 0;
  const past = await encodeWithin(async () => ({ size: n++ === 0 ? 400_001 : 1 }), 100, 100);
  assert.equal(past.quality, 0.75);
});
