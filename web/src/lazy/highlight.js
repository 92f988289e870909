/*! Includes highlight.js (BSD-3-Clause License; Copyright (c) 2006, Ivan Sagalaev and contributors) */
// Loaded by the page only when a message shows a code block that names its language.
import hljs from "highlight.js/lib/common";

/**
 * The code as highlighted HTML (highlight.js escapes the text; the result holds only
 * `<span class="hljs-...">` elements), or null for a language it does not know.
 */
export function highlight(text, language) {
  if (!language || !hljs.getLanguage(language)) return null;
  return hljs.highlight(text, { language, ignoreIllegals: true }).value;
}
