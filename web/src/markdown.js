/*! Includes marked (MIT License; Copyright (c) 2018-2026 MarkedJS, (c) 2011-2018 Christopher Jeffrey) */
// Markdown -> HTML with marked, then DOMPurify on every render: the only way HTML enters the page.
// Messages follow the chatbot settings (Markdown or plain text, line breaks, how strict the
// sanitizer is, math delimiters); code highlighting and math load lazily, when first needed.
import DOMPurify from "dompurify";
import { Marked } from "marked";
import { copyText, flashCopied, h } from "./dom.js";
import { icon } from "./icons.js";
import { part } from "./lazy.js";
import { phrase } from "./texts.js";

const STRICT = {
  // Page-wide <style> and interactive form parts have no place inside a chat message, and a
  // style attribute could dress a message up as the page's own controls.
  FORBID_TAGS: ["style", "form", "button", "textarea", "select", "option", "dialog"],
  FORBID_ATTR: ["style"],
  RETURN_DOM_FRAGMENT: true,
};
// `sanitize_html: false`: DOMPurify's own defaults (styles allowed; scripts and handlers still go).
const RELAXED = { RETURN_DOM_FRAGMENT: true };

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A" && node.hasAttribute("href")) {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  }
  // GFM task lists render checkboxes; they show state, they are not inputs.
  if (node.tagName === "INPUT") node.setAttribute("disabled", "");
});

const plain = new Marked({ gfm: true, breaks: true, async: false });
const DEFAULTS = { markdown: true, breaks: true, strict: true, delimiters: [{ left: "$$", right: "$$", display: true }] };
let settings = DEFAULTS;
let chatMarked = withMath(DEFAULTS);

const escape = (text) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

// A marked instance whose extensions turn text between the delimiters into math placeholders,
// typeset after sanitizing. `$...$` is math only when it hugs its text and is not followed by a
// digit, so "$5 and $6" stays money.
function withMath({ breaks, delimiters }) {
  const list = delimiters
    .filter((d) => d && typeof d.left === "string" && d.left && typeof d.right === "string" && d.right)
    .sort((a, b) => b.left.length - a.left.length);
  const marked = new Marked({ gfm: true, breaks, async: false });
  if (!list.length) return marked;
  const match = (src, block) => {
    for (const d of list) {
      if ((block && !d.display) || !src.startsWith(d.left)) continue;
      const end = src.indexOf(d.right, d.left.length);
      const tex = end === -1 ? "" : src.slice(d.left.length, end);
      if (!tex.trim() || (!d.display && tex.includes("\n\n"))) continue;
      if (d.left === "$" && (/^\s|\s$/.test(tex) || /^\d/.test(src.slice(end + 1)))) continue;
      let raw = src.slice(0, end + d.right.length);
      if (block) {
        const rest = /^[ \t]*(?:\n|$)/.exec(src.slice(raw.length));
        if (!rest) continue;
        raw += rest[0];
      }
      return { type: block ? "mathBlock" : "math", raw, text: tex, display: !!d.display };
    }
    return undefined;
  };
  // Where the next delimiter starts (block math: only at the start of a line).
  const first = (src, block) => {
    let best = Infinity;
    for (const d of list) {
      if (block && !d.display) continue;
      if (src.startsWith(d.left)) return 0;
      const i = src.indexOf(block ? `\n${d.left}` : d.left);
      if (i !== -1) best = Math.min(best, block ? i + 1 : i);
    }
    return best === Infinity ? undefined : best;
  };
  const render = (tag) => (token) =>
    `<${tag} class="cs-math${token.display ? " cs-math-display" : ""}">${escape(token.text)}</${tag}>`;
  marked.use({
    extensions: [
      { name: "mathBlock", level: "block", start: (src) => first(src, true), tokenizer: (src) => match(src, true), renderer: render("div") },
      { name: "math", level: "inline", start: (src) => first(src, false), tokenizer: (src) => match(src, false), renderer: render("span") },
    ],
  });
  return marked;
}

/**
 * The chatbot's message settings (`render_markdown`, `line_breaks`, `sanitize_html`,
 * `latex_delimiters`); messages rendered from then on follow them.
 */
export function configureMessages(chatbot = {}) {
  const next = {
    markdown: chatbot.render_markdown !== false,
    breaks: chatbot.line_breaks !== false,
    strict: chatbot.sanitize_html !== false,
    delimiters: Array.isArray(chatbot.latex_delimiters) ? chatbot.latex_delimiters : DEFAULTS.delimiters,
  };
  if (JSON.stringify(next) === JSON.stringify(settings)) return false;
  if (next.breaks !== settings.breaks || JSON.stringify(next.delimiters) !== JSON.stringify(settings.delimiters)) chatMarked = withMath(next);
  settings = next;
  return true;
}

/** Renders Markdown (GFM, single newlines kept as line breaks) to a sanitized DocumentFragment. */
export function renderMarkdown(text) {
  return DOMPurify.sanitize(plain.parse(String(text ?? "")), STRICT);
}

/** Renders one line of inline Markdown (no paragraphs) to a sanitized DocumentFragment. */
export function renderInline(text) {
  return DOMPurify.sanitize(plain.parseInline(String(text ?? "")), STRICT);
}

/** Sanitizes an HTML string to a DocumentFragment. */
export function sanitizeHtml(html) {
  return DOMPurify.sanitize(String(html ?? ""), STRICT);
}

/** Replaces the children of `el` with `text` rendered as sanitized Markdown, code blocks decorated. */
export function renderInto(el, text) {
  el.replaceChildren(decorate(renderMarkdown(text)));
}

/**
 * A chat message's text, following the chatbot settings: Markdown (with math) or plain text.
 * Returns the nodes to put in the message.
 */
export function renderMessageText(text) {
  text = String(text ?? "");
  if (!settings.markdown) return h("div", { class: "cs-plain", text });
  return decorate(DOMPurify.sanitize(chatMarked.parse(text), settings.strict ? STRICT : RELAXED));
}

function decorate(fragment) {
  for (const pre of fragment.querySelectorAll("pre")) decorateCode(pre);
  // Wide tables scroll sideways inside their own box instead of widening the page.
  for (const table of fragment.querySelectorAll("table")) {
    const box = h("div", { class: "cs-table" });
    table.replaceWith(box);
    box.append(table);
  }
  const math = fragment.querySelectorAll(".cs-math");
  if (math.length) {
    const module = part("math", typesetAll);
    if (module) for (const el of math) typeset(module, el);
  }
  return fragment;
}

function typeset(module, el) {
  try {
    module.typeset(el, el.textContent, el.classList.contains("cs-math-display"));
    el.classList.add("cs-math-done");
  } catch (err) {
    console.error(err);
  }
}

function typesetAll(module) {
  for (const el of document.querySelectorAll(".cs-math:not(.cs-math-done)")) typeset(module, el);
}

function highlight(module, code) {
  const html = module.highlight(code.textContent, code.dataset.lang);
  if (html != null) code.innerHTML = html; // escaped by the highlighter: only its <span>s
  code.classList.add("hljs");
}

function highlightAll(module) {
  for (const code of document.querySelectorAll("code[data-lang]:not(.hljs)")) highlight(module, code);
}

/** A framed code block (language name, Copy) showing `text` as-is. */
export function codeBlock(text, lang = "") {
  const code = h("code", { class: lang ? `language-${lang}` : null, text });
  const pre = h("pre", {}, [code]);
  const holder = h("div", {}, [pre]);
  decorateCode(pre);
  return holder.firstChild;
}

// Wraps a <pre> in a frame with the language name and a copy button; highlights the code when
// it names its language.
function decorateCode(pre) {
  const code = pre.querySelector("code");
  const lang = /(?:^|\s)language-([\w+#.-]+)/.exec(code?.className ?? "")?.[1] ?? "";
  const text = (code ?? pre).textContent;
  const copy = h("button", { type: "button", class: "cs-code-copy", title: phrase("messages.copy_code"), "aria-label": phrase("messages.copy_code") }, [
    icon("copy"),
    icon("check"),
    h("span", { class: "cs-code-copy-text", text: phrase("messages.copy") }),
  ]);
  copy.addEventListener("click", async () => flashCopied(copy, await copyText(text)));
  const frame = h("div", { class: "cs-code" }, [
    h("div", { class: "cs-code-bar" }, [h("span", { class: "cs-code-lang", text: lang }), copy]),
  ]);
  pre.replaceWith(frame);
  frame.append(pre);
  if (code && lang && !/^(text|plain|plaintext|txt)$/i.test(lang)) {
    code.dataset.lang = lang.toLowerCase();
    const module = part("highlight", highlightAll);
    if (module) highlight(module, code);
  }
}
