/* Building the DOM safely: user text only ever goes in as text (textContent), never as HTML,
 * so a description cannot become markup or script. */

/** A new element with a class and text (both optional). */
export function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
