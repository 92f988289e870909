// Nested thoughts, as data: a message whose metadata has a `title` is a thought (a collapsible
// box); a message whose `metadata.parent_id` is a thought's `metadata.id` goes inside it. No DOM.

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

/** "2s", "1.5s", "42.0ms" (as Gradio shows a thought's duration); "" for what is not a duration. */
export function formatDuration(seconds) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) return "";
  if (Number.isInteger(seconds)) return `${seconds}s`;
  if (seconds >= 0.1) return `${seconds.toFixed(1)}s`;
  return `${(seconds * 1000).toFixed(1)}ms`;
}
