// `chatbot.resizable`: the handle under the conversation drags (or, with the arrow keys, steps)
// its height.
import { h } from "./dom.js";
import { phrase } from "./texts.js";

// The conversation is never made shorter than this many pixels.
const MIN_HEIGHT = 160;

/** The handle (a separator) that resizes `box`; `resized(px)` applies each new height. */
export function resizeHandle(box, resized) {
  const handle = h("div", { class: "cs-resize", role: "separator", tabindex: "0", "aria-orientation": "horizontal", "aria-label": phrase("resize.label"), title: phrase("resize.title") });
  const set = (px) => {
    const value = Math.max(MIN_HEIGHT, Math.round(px));
    handle.setAttribute("aria-valuenow", String(value));
    resized(value);
  };
  handle.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    e.preventDefault();
    const start = e.clientY;
    const from = box.getBoundingClientRect().height;
    handle.setPointerCapture(e.pointerId);
    const move = (m) => set(from + m.clientY - start);
    const end = () => {
      handle.removeEventListener("pointermove", move);
      handle.removeEventListener("pointerup", end);
      handle.removeEventListener("pointercancel", end);
    };
    handle.addEventListener("pointermove", move);
    handle.addEventListener("pointerup", end);
    handle.addEventListener("pointercancel", end);
  });
  handle.addEventListener("keydown", (e) => {
    const step = { ArrowUp: -40, ArrowDown: 40, PageUp: -160, PageDown: 160 }[e.key];
    if (!step) return;
    e.preventDefault();
    set(box.getBoundingClientRect().height + step);
  });
  return handle;
}
