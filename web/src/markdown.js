/*! Includes marked (MIT License; Copyright (c) 2018-2026 MarkedJS, (c) 2011-2018 Christopher Jeffrey) */
// Markdown -> HTML with marked, then DOMPurify on every render: the only way HTML enters the page.
import DOMPurify from "dompurify";
import { Marked } from "marked";
import { copyText, flashCopied, h } from "./dom.js";
import { icon } from "./icons.js";

const marked = new Marked({ gfm: true, breaks: true, async: false });

const PURIFY = {
  // Page-wide <style> and interactive form parts have no place inside a chat message.
  FORBID_TAGS: ["style", "form", "button", "textarea", "select", "option", "dialog"],
  RETURN_DOM_FRAGMENT: true,
};

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A" && node.hasAttribute("href")) {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  }
  // GFM task lists render checkboxes; they show state, they are not inputs.
  if (node.tagName === "INPUT") node.setAttribute("disabled", "");
});

/** Renders Markdown (GFM, single newlines kept as line breaks) to a sanitized DocumentFragment. */
export function renderMarkdown(text) {
  return DOMPurify.sanitize(marked.parse(String(text ?? "")), PURIFY);
}

/** Renders one line of inline Markdown (no paragraphs) to a sanitized DocumentFragment. */
export function renderInline(text) {
  return DOMPurify.sanitize(marked.parseInline(String(text ?? "")), PURIFY);
}

/** Sanitizes an HTML string to a DocumentFragment. */
export function sanitizeHtml(html) {
  return DOMPurify.sanitize(String(html ?? ""), PURIFY);
}

/** Replaces the children of `el` with `text` rendered as sanitized Markdown, code blocks decorated. */
export function renderInto(el, text) {
  const fragment = renderMarkdown(text);
  for (const pre of fragment.querySelectorAll("pre")) decorateCode(pre);
  // Wide tables scroll sideways inside their own box instead of widening the page.
  for (const table of fragment.querySelectorAll("table")) {
    const box = h("div", { class: "cs-table" });
    table.replaceWith(box);
    box.append(table);
  }
  el.replaceChildren(fragment);
}

/** A framed code block (language name, Copy) showing `text` as-is. */
export function codeBlock(text, lang = "") {
  const code = h("code", { class: lang ? `language-${lang}` : null, text });
  const pre = h("pre", {}, [code]);
  const holder = h("div", {}, [pre]);
  decorateCode(pre);
  return holder.firstChild;
}

// Wraps a <pre> in a frame with the language name and a copy button.
function decorateCode(pre) {
  const code = pre.querySelector("code");
  const lang = /(?:^|\s)language-([\w+#.-]+)/.exec(code?.className ?? "")?.[1] ?? "";
  const copy = h("button", { type: "button", class: "cs-code-copy", title: "Copy code", "aria-label": "Copy code" }, [
    icon("copy"),
    icon("check"),
    h("span", { class: "cs-code-copy-text", text: "Copy" }),
  ]);
  copy.addEventListener("click", async () => flashCopied(copy, await copyText((code ?? pre).textContent)));
  const frame = h("div", { class: "cs-code" }, [
    h("div", { class: "cs-code-bar" }, [h("span", { class: "cs-code-lang", text: lang }), copy]),
  ]);
  pre.replaceWith(frame);
  frame.append(pre);
}
