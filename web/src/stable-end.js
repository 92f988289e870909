// A long streaming Markdown text is rendered in two parts: the head, up to the last blank line
// outside a code fence, once; only the tail again on each frame. This finds that cut. No DOM.

/**
 * Where `text` can be cut: just after its last blank line outside a code fence (0 when there is
 * none). `scan` is what the previous call returned for an earlier state of the same text, so
 * only what is new is read; pass the result back in next time, as it also holds `cut`.
 */
export function stableEnd(text, scan = null) {
  let { scanned = 0, fence = null, cut = 0 } = scan || {};
  if (text.length < scanned) scanned = cut = 0;
  const lines = /[^\n]*\n/g;
  lines.lastIndex = scanned;
  for (let m = lines.exec(text); m; m = lines.exec(text)) {
    const line = m[0];
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (marker && (!fence || marker[1][0] === fence[0])) fence = fence ? null : marker[1];
    else if (!fence && !line.trim() && m.index > 0) cut = m.index + line.length;
    scanned = lines.lastIndex;
  }
  return { scanned, fence, cut };
}
