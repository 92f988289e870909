// The message list (role=log): user bubbles, assistant replies rendered as Markdown, notes,
// the pending indicator, and autoscroll that stops when the reader scrolls up.
import { copyText, flashCopied, h } from "./dom.js";
import { icon } from "./icons.js";
import { renderInto } from "./markdown.js";

// Within this many pixels of the bottom counts as "at the bottom".
const STICK_PX = 48;

export class MessageList {
  constructor({ height = null, autoscroll = true } = {}) {
    this.autoscroll = autoscroll;
    this.stick = true;
    this.inner = h("div", { class: "cs-log-inner" });
    this.el = h(
      "div",
      { class: "cs-log", role: "log", "aria-live": "polite", "aria-busy": "false", "aria-label": "Conversation", tabindex: "0" },
      [this.inner],
    );
    if (height) this.el.style.height = height;
    this.jump = h("button", { type: "button", class: "cs-jump", "aria-label": "Scroll to bottom", title: "Scroll to bottom", hidden: true }, [icon("down")]);
    this.jump.addEventListener("click", () => this.scrollToEnd(true));
    this.el.addEventListener("scroll", () => {
      this.stick = this.el.scrollHeight - this.el.scrollTop - this.el.clientHeight < STICK_PX;
      this.jump.hidden = this.stick;
    }, { passive: true });
    // Content and viewport both change size while a reply streams (text, images, the composer).
    const follow = new ResizeObserver(() => {
      if (this.stick && this.autoscroll) this.scrollToEnd();
      else this.jump.hidden = this.el.scrollHeight - this.el.scrollTop - this.el.clientHeight < STICK_PX;
    });
    follow.observe(this.inner);
    follow.observe(this.el);
  }

  get isEmpty() {
    return this.inner.childElementCount === 0;
  }

  /** Shows a message the person sent, as plain text. */
  addUser(text) {
    const bubble = h("div", { class: "cs-bubble", text });
    this.inner.append(h("div", { class: "cs-msg cs-msg-user" }, [h("span", { class: "cs-sr", text: "You said:" }), bubble]));
    this.scrollToEnd(true);
  }

  /** Starts the reply to the last user message; returns its Turn. */
  startTurn() {
    const turn = new Turn();
    this.inner.append(turn.el);
    this.scrollToEnd(true);
    return turn;
  }

  setBusy(busy) {
    this.el.setAttribute("aria-busy", busy ? "true" : "false");
  }

  clear() {
    this.inner.replaceChildren();
    this.stick = true;
    this.jump.hidden = true;
  }

  scrollToEnd(force = false) {
    if (force) this.stick = true;
    this.el.scrollTop = this.el.scrollHeight;
    this.jump.hidden = true;
  }
}

/** One assistant turn: its messages (by index, as the stream numbers them) and notes. */
class Turn {
  constructor() {
    this.items = [];
    this.dirty = new Set();
    this.frame = 0;
    this.nextRender = 0;
    this.replies = h("div", { class: "cs-replies" });
    this.queueText = h("span", { class: "cs-pending-text", text: "" });
    this.pending = h("div", { class: "cs-pending" }, [
      h("span", { class: "cs-dots", "aria-hidden": "true" }, [h("i"), h("i"), h("i")]),
      h("span", { class: "cs-sr", text: "Waiting for the reply" }),
      this.queueText,
    ]);
    this.el = h("div", { class: "cs-turn" }, [this.replies, this.pending]);
  }

  /** `event: queue`: shows the position while waiting for a free slot. */
  queue(position) {
    this.queueText.textContent = Number.isFinite(position) ? `Waiting in line: position ${position}` : "";
  }

  /** `event: message` / `event: replace`: starts or replaces message #index. */
  message(index, message) {
    const item = this.item(index);
    item.message = { ...message };
    if (item.message.content == null) item.message.content = "";
    this.pending.hidden = true;
    this.schedule(item);
  }

  /** `event: delta`: appends text to message #index. */
  delta(index, text) {
    const item = this.item(index);
    const content = typeof item.message.content === "string" ? item.message.content : "";
    item.message.content = content + text;
    this.pending.hidden = true;
    this.schedule(item);
  }

  /** Shows an error note after this turn's messages; the text is shown as plain text. */
  error(text) {
    this.el.append(
      h("div", { class: "cs-note cs-error" }, [icon("alert"), h("div", { class: "cs-note-text", text })]),
    );
  }

  /**
   * Ends the turn. With `messages` (from `done`) those replace what streamed; without, the
   * streamed messages stay as they are. Returns the turn's messages.
   */
  finish(messages, { stopped = false } = {}) {
    cancelAnimationFrame(this.frame);
    if (Array.isArray(messages)) {
      messages.forEach((message, i) => {
        this.item(i).message = { ...message };
      });
      for (const extra of this.items.splice(messages.length)) extra.el.remove();
    }
    this.items = this.items.filter(Boolean);
    for (const item of this.items) {
      renderMessage(item);
      addActions(item);
      item.el.classList.remove("cs-streaming");
    }
    this.pending.remove();
    if (stopped) this.el.append(h("div", { class: "cs-note cs-stopped", text: "Stopped" }));
    return this.items.map((item) => item.message);
  }

  item(index) {
    let item = this.items[index];
    if (!item) {
      const content = h("div", { class: "cs-content" });
      const el = h("div", { class: "cs-msg cs-msg-assistant cs-streaming" }, [content]);
      item = { message: { role: "assistant", content: "" }, el, content };
      this.items[index] = item;
      // Keep document order equal to index order even if a later index arrives first.
      const next = this.items.slice(index + 1).find(Boolean);
      this.replies.insertBefore(el, next ? next.el : null);
    }
    return item;
  }

  // Re-renders at most once per animation frame; long replies that take a while to render are
  // re-rendered less often, so streaming never starves the page.
  schedule(item) {
    this.dirty.add(item);
    if (this.frame) return;
    const tick = (now) => {
      if (now < this.nextRender) {
        this.frame = requestAnimationFrame(tick);
        return;
      }
      this.frame = 0;
      const start = performance.now();
      for (const dirty of this.dirty) renderMessage(dirty);
      this.dirty.clear();
      const cost = performance.now() - start;
      this.nextRender = cost > 8 ? performance.now() + Math.min(cost * 4, 250) : 0;
    };
    this.frame = requestAnimationFrame(tick);
  }
}

function renderMessage(item) {
  const { message, content } = item;
  const meta = message.metadata && typeof message.metadata === "object" ? message.metadata : null;
  let target = content;
  if (meta && meta.title) {
    // A "thought": a collapsible block titled by metadata.title, open while pending.
    let details = content.querySelector(":scope > details.cs-thought");
    if (!details) {
      details = h("details", { class: "cs-thought" }, [h("summary"), h("div", { class: "cs-md" })]);
      content.replaceChildren(details);
      content.classList.remove("cs-md");
    }
    const pendingStatus = meta.status === "pending";
    details.classList.toggle("cs-thought-pending", pendingStatus);
    if (pendingStatus) details.open = true;
    details.firstChild.textContent = String(meta.title);
    target = details.lastChild;
  } else {
    content.classList.add("cs-md");
  }
  renderContent(target, message.content);
}

function renderContent(el, content) {
  if (typeof content === "string") {
    renderInto(el, content);
    return;
  }
  const file = content && typeof content === "object" ? content.file : null;
  const url = file && safeUrl(file.url);
  if (url && /^image\//.test(file.mime_type || "")) {
    el.replaceChildren(h("img", { src: url, alt: content.alt_text || file.name || "", loading: "lazy" }));
  } else if (url) {
    el.replaceChildren(
      h("a", { class: "cs-file", href: url, target: "_blank", rel: "noopener noreferrer", download: file.name || "" }, [
        icon("file"),
        h("span", { text: file.name || "Download file" }),
      ]),
    );
  } else {
    const kind = content && typeof content === "object" && typeof content.component === "string" ? content.component : "content";
    el.replaceChildren(h("p", { class: "cs-unsupported", text: `[${kind} cannot be shown here]` }));
  }
}

// Only same-origin relative URLs and http(s) URLs may become a link or an image source.
function safeUrl(value) {
  if (typeof value !== "string" || !value) return null;
  try {
    const url = new URL(value, document.baseURI);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

function addActions(item) {
  if (item.actions || typeof item.message.content !== "string" || !item.message.content) return;
  const copy = h("button", { type: "button", class: "cs-icon-btn cs-copy", "aria-label": "Copy", title: "Copy" }, [
    icon("copy"),
    icon("check"),
  ]);
  copy.addEventListener("click", async () => flashCopied(copy, await copyText(item.message.content)));
  item.actions = h("div", { class: "cs-actions" }, [copy]);
  item.el.append(item.actions);
}
