// Tiny DOM helpers. Text always goes in through textContent; HTML only through markdown.js.
import { label } from "./texts.js";

/**
 * Creates an element: `attrs` are attributes (`class`, `text`, `onclick`...), `children` nodes or
 * strings. An attribute (or `text`) given as a phrase (texts.js) follows the page's language.
 */
export function h(tag, attrs = {}, children = []) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (typeof value === "object") label(el, key, value);
    else if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  el.append(...children);
  return el;
}

/** Copies text to the clipboard, also where the async clipboard API is missing (plain http). */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = h("textarea", { class: "cs-offscreen", "aria-hidden": "true", tabindex: "-1" });
    area.value = text;
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

/** Makes a button show a "Copied" state for a moment after a successful copy. */
export function flashCopied(button, ok) {
  button.classList.toggle("cs-copied", ok);
  button.classList.toggle("cs-copy-failed", !ok);
  clearTimeout(button._csTimer);
  button._csTimer = setTimeout(() => button.classList.remove("cs-copied", "cs-copy-failed"), 1500);
}

/**
 * Makes `parent`'s children exactly `children` (nodes; falsy entries are skipped) while moving as
 * little as possible: nodes that stay keep their place, so focus, scroll position, a playing video
 * or a streaming reply inside them are left alone.
 */
export function syncChildren(parent, children) {
  const wanted = children.filter(Boolean);
  const keep = new Set(wanted);
  for (const node of [...parent.childNodes]) if (!keep.has(node)) node.remove();
  wanted.forEach((node, i) => {
    if (parent.childNodes[i] !== node) parent.insertBefore(node, parent.childNodes[i] || null);
  });
}

/** The same JSON (for config sections: did this part change?). */
export function sameJson(a, b) {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** Whether `el` shows keyboard focus (false where `:focus-visible` is unknown). */
export function focusVisible(el) {
  try {
    return !!el && el !== document.body && el.matches(":focus-visible");
  } catch {
    return false;
  }
}
