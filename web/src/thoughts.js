// Nested thoughts, as data: a message whose metadata has a `title` is a thought (a collapsible
// box); a message whose `metadata.parent_id` is a thought's `metadata.id` goes inside it. No DOM.
import { formatNumber, t } from "./texts.js";

/** Whether a message's metadata makes it a thought. */
export function isThought(meta) {
  return meta.title != null && meta.title !== "";
}

/**
 * For each message's metadata, in order, the position of the thought it goes in, or -1 for the
 * top level. Nesting may go to any depth; a message whose chain of parents loops stays at the
 * top level. When several thoughts share an id, the last one is the parent.
 */
export function thoughtParents(metas) {
  const byId = new Map();
  metas.forEach((meta, i) => {
    if (isThought(meta) && meta.id != null) byId.set(String(meta.id), i);
  });
  const parentOf = (i) => (metas[i].parent_id != null ? (byId.get(String(metas[i].parent_id)) ?? -1) : -1);
  return metas.map((meta, i) => {
    const parent = parentOf(i);
    for (let up = parent, seen = new Set([i]); up !== -1; up = parentOf(up)) {
      if (seen.has(up)) return -1;
      seen.add(up);
    }
    return parent;
  });
}

/**
 * "2s", "1.5s", "42.0ms" (as Gradio shows a thought's duration, in the page's language); with
 * `digits`, seconds with that many decimals ("3.0s"); "" for what is not a duration.
 */
export function formatDuration(seconds, digits) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) return "";
  if (digits !== undefined) return t("time.seconds", { n: formatNumber(seconds, digits, true) });
  if (Number.isInteger(seconds)) return t("time.seconds", { n: formatNumber(seconds) });
  if (seconds >= 0.1) return t("time.seconds", { n: formatNumber(seconds, 1, true) });
  return t("time.milliseconds", { n: formatNumber(seconds * 1000, 1, true) });
}
