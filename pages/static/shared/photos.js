/* Photos made small on the phone before they are queued: a camera's 4,000 px, 5 MB JPEG would
 * take minutes on one bar of signal and 10 MB of the server's 10 MB limit; the long edge is
 * brought to at most 1,600 px and the file to at most 400 KB of JPEG (the apps' figures, issue
 * 16). The size arithmetic and the search for a quality that fits are pure
 * (tests/js/photos.test.mjs); `resizePhoto` draws on a canvas. */

export const MAX_EDGE = 1600;
export const MAX_BYTES = 400_000;
const QUALITIES = [0.85, 0.75, 0.65, 0.55, 0.45];

/** The size to draw at: the long edge at most `maxEdge`, the aspect kept, never enlarged. */
export function fitSize(width, height, maxEdge = MAX_EDGE) {
  if (!(width > 0 && height > 0)) throw new RangeError("an image has a positive size");
  const scale = Math.min(1, maxEdge / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/**
 * Encodes at falling qualities, then at smaller sizes, until the bytes fit: `encode(width,
 * height, quality)` resolves to a Blob (or anything with `size`). Resolves to the first that
 * fits, with its size and quality; after 12 tries, to the smallest made.
 */
export async function encodeWithin(encode, width, height, { maxEdge = MAX_EDGE, maxBytes = MAX_BYTES } = {}) {
  let size = fitSize(width, height, maxEdge), best = null;
  for (let tries = 0; tries < 12;) {
    for (const quality of QUALITIES) {
      const blob = await encode(size.width, size.height, quality);
      tries += 1;
      const got = { blob, width: size.width, height: size.height, quality };
      if (best === null || blob.size < best.blob.size) best = got;
      if (blob.size <= maxBytes) return got;
    }
    // Even the lowest quality is too large: shrink the area by the ratio needed, and a margin.
    const ratio = Math.sqrt(maxBytes / best.blob.size) * 0.9;
    size = fitSize(size.width, size.height, Math.max(64, Math.floor(Math.max(size.width, size.height) * ratio)));
  }
  return best;
}

/** A File from the camera input -> {blob (image/jpeg), width, height, quality}. The photo is
 * turned upright by its EXIF orientation as it is decoded. */
export async function resizePhoto(file, limits = {}) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  try {
    return await encodeWithin((w, h, q) => draw(bitmap, w, h, q), bitmap.width, bitmap.height, limits);
  } finally {
    if (bitmap.close) bitmap.close();
  }
}

function draw(bitmap, width, height, quality) {
  if (typeof OffscreenCanvas !== "undefined") {
    const canvas = new OffscreenCanvas(width, height);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, width, height);
    return canvas.convertToBlob({ type: "image/jpeg", quality });
  }
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  canvas.getContext("2d").drawImage(bitmap, 0, 0, width, height);
  return new Promise((resolve, reject) => canvas.toBlob(
    (b) => (b ? resolve(b) : reject(new Error("the photo could not be encoded"))), "image/jpeg", quality));
}
