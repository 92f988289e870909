// The message list (role=log): the user's turns (text bubbles and files), assistant turns (one
// group of messages: Markdown, files and components, nested "thoughts"), preset options, notes,
// the pending indicator, and autoscroll that stops when the reader scrolls up.
import { copyText, flashCopied, h } from "./dom.js";
import { renderRich, unsupported } from "./files.js";
import { icon } from "./icons.js";
import { renderInline, renderInto } from "./markdown.js";

// Within this many pixels of the bottom counts as "at the bottom".
const STICK_PX = 48;

export class MessageList {
  constructor({ height = null, autoscroll = true } = {}) {
    this.autoscroll = autoscroll;
    this.stick = true;
    this.options = null;
    this.inner = h("div", { class: "cs-log-inner" });
    this.el = h(
      "div",
      { class: "cs-log", role: "log", "aria-live": "polite", "aria-busy": "false", "aria-label": "Conversation", tabindex: "0" },
      [this.inner],
    );
    if (height) this.el.style.height = height;
    this.jump = h("button", { type: "button", class: "cs-jump", "aria-label": "Scroll to bottom", title: "Scroll to bottom", hidden: true }, [icon("down")]);
    this.jump.addEventListener("click", () => this.scrollToEnd(true));
    // Only the reader scrolling up unsticks: content that grows (an image that loads) must not.
    this.lastTop = 0;
    this.el.addEventListener("scroll", () => {
      const top = this.el.scrollTop;
      if (this.el.scrollHeight - top - this.el.clientHeight < STICK_PX) this.stick = true;
      else if (top < this.lastTop - 1) this.stick = false;
      this.lastTop = top;
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

  /** Shows what the person sent: its files (as the server will see them), then its text. */
  addUser(messages) {
    const files = h("div", { class: "cs-user-files" });
    const group = h("div", { class: "cs-msg cs-msg-user" }, [h("span", { class: "cs-sr", text: "You said:" }), files]);
    for (const message of messages) {
      if (typeof message.content === "string") group.append(h("div", { class: "cs-bubble", text: message.content }));
      else files.append(h("div", { class: "cs-user-file" }, [renderRich(message.content) || unsupported(message.content)]));
    }
    if (!files.childElementCount) files.remove();
    this.inner.append(group);
    this.scrollToEnd(true);
  }

  /** Starts the reply to the last user message; returns its Turn. */
  startTurn() {
    const turn = new Turn();
    this.inner.append(turn.el);
    this.scrollToEnd(true);
    return turn;
  }

  /** Preset replies under the last assistant group; `onPick(value)` when one is clicked. */
  showOptions(turn, options, onPick) {
    this.clearOptions();
    const valid = (Array.isArray(options) ? options : []).filter((o) => o && typeof o.value === "string" && o.value);
    if (!valid.length) return;
    this.options = h("div", { class: "cs-options", role: "group", "aria-label": "Suggested replies" });
    for (const option of valid) {
      const label = typeof option.label === "string" && option.label ? option.label : option.value;
      const button = h("button", { type: "button", class: "cs-option", text: label });
      button.addEventListener("click", () => onPick(option.value));
      this.options.append(button);
    }
    turn.el.append(this.options);
  }

  clearOptions() {
    if (this.options) this.options.remove();
    this.options = null;
  }

  setBusy(busy) {
    this.el.setAttribute("aria-busy", busy ? "true" : "false");
  }

  clear() {
    this.inner.replaceChildren();
    this.options = null;
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
    this.live = null;
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
    this.queueText.textContent = Number.isFinite(position) ? `Waiting in line: ${position}` : "";
  }

  /** `event: message` / `event: replace`: starts or replaces message #index. */
  message(index, message) {
    const item = this.item(index);
    item.message = { ...message };
    if (item.message.content == null) item.message.content = "";
    this.touch(item);
  }

  /** `event: delta`: appends text to message #index. */
  delta(index, text) {
    const item = this.item(index);
    const content = typeof item.message.content === "string" ? item.message.content : "";
    item.message.content = content + text;
    this.touch(item);
  }

  /** Shows an error note after this turn's messages; the text is shown as plain text. */
  error(text) {
    this.el.append(
      h("div", { class: "cs-note cs-error", role: "alert" }, [icon("alert"), h("div", { class: "cs-note-text", text })]),
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
      for (const extra of this.items.splice(messages.length)) if (extra) extra.el.remove();
    }
    for (const [i, item] of this.items.entries()) {
      // A message that never arrived (a gap in the indexes) or a stopped one with nothing in it.
      if (!item || (!messages && item.message.content === "" && !item.message.metadata)) {
        if (item) item.el.remove();
        delete this.items[i];
      }
    }
    this.items = this.items.filter(Boolean);
    this.live = null;
    for (const item of this.items) renderMessage(item);
    this.layout();
    this.addActions();
    this.setCaret(null);
    this.pending.remove();
    if (stopped) this.el.append(h("div", { class: "cs-note cs-stopped", text: "Stopped" }));
    return this.items.map((item) => item.message);
  }

  // One Copy for the group: the text of its top-level text messages.
  addActions() {
    const text = this.items
      .filter((item) => typeof item.message.content === "string" && !item.children && !item.el.classList.contains("cs-nested"))
      .map((item) => item.message.content.trim())
      .filter(Boolean)
      .join("\n\n");
    if (!text) return;
    const copy = h("button", { type: "button", class: "cs-icon-btn cs-copy", "aria-label": "Copy", title: "Copy" }, [
      icon("copy"),
      icon("check"),
    ]);
    copy.addEventListener("click", async () => flashCopied(copy, await copyText(text)));
    this.replies.after(h("div", { class: "cs-actions" }, [copy]));
  }

  item(index) {
    let item = this.items[index];
    if (!item) {
      const content = h("div", { class: "cs-content" });
      const el = h("div", { class: "cs-msg cs-msg-assistant" }, [content]);
      item = { message: { role: "assistant", content: "" }, el, content, index };
      this.items[index] = item;
      // Keep document order equal to index order even if a later index arrives first.
      const next = this.items.slice(index + 1).find(Boolean);
      this.replies.insertBefore(el, next ? next.el : null);
    }
    return item;
  }

  touch(item) {
    this.pending.hidden = true;
    this.live = item;
    this.schedule(item);
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
      this.layout();
      this.setCaret(this.live);
      const cost = performance.now() - start;
      this.nextRender = cost > 8 ? performance.now() + Math.min(cost * 4, 250) : 0;
    };
    this.frame = requestAnimationFrame(tick);
  }

  // The soft caret goes after the text of the message that is growing.
  setCaret(item) {
    for (const el of this.el.querySelectorAll(".cs-caret")) el.classList.remove("cs-caret");
    if (item && item.body && typeof item.message.content === "string") item.body.classList.add("cs-caret");
  }

  // Places every message: inside the thought whose metadata.id is its metadata.parent_id (any
  // depth, cycles broken), else at the top level of the group, in index order.
  layout() {
    const byId = new Map();
    for (const item of this.items) if (item && item.children && item.meta.id != null) byId.set(String(item.meta.id), item);
    const parentOf = (item) => (item.meta && item.meta.parent_id != null ? byId.get(String(item.meta.parent_id)) : null) || null;
    const last = new Map();
    for (const item of this.items) {
      if (!item) continue;
      let parent = parentOf(item);
      for (let up = parent, seen = new Set([item]); up; up = parentOf(up)) {
        if (seen.has(up)) {
          parent = null;
          break;
        }
        seen.add(up);
      }
      const target = parent ? parent.children : this.replies;
      const previous = last.get(target) || null;
      if (item.el.parentNode !== target || item.el.previousElementSibling !== previous) {
        if (previous) previous.after(item.el);
        else target.prepend(item.el);
      }
      last.set(target, item.el);
      item.el.classList.toggle("cs-nested", !!parent);
    }
  }
}

/** "2s", "1.5s", "42.0ms" (as Gradio shows a thought's duration). */
export function formatDuration(seconds) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) return "";
  if (Number.isInteger(seconds)) return `${seconds}s`;
  if (seconds >= 0.1) return `${seconds.toFixed(1)}s`;
  return `${(seconds * 1000).toFixed(1)}ms`;
}

function renderMessage(item) {
  const { message, content } = item;
  const meta = message.metadata && typeof message.metadata === "object" ? message.metadata : {};
  item.meta = meta;
  const thought = meta.title != null && meta.title !== "";
  if (thought) renderThought(item, meta);
  else if (item.children || !item.body) {
    // A plain message (or one that stopped being a thought).
    item.children = null;
    item.details = null;
    item.body = h("div", { class: "cs-msg-body" });
    content.replaceChildren(item.body);
  }
  const rich = typeof message.content !== "string";
  content.classList.toggle("cs-content-bare", thought || rich);
  item.el.classList.toggle("cs-msg-rich", rich);
  fillBody(item.body, message.content);
}

// The collapsible "thought" box: title (Markdown), log and duration, spinner while pending.
function renderThought(item, meta) {
  if (!item.details) {
    item.title = h("span", { class: "cs-thought-title" });
    item.metaText = h("span", { class: "cs-thought-meta" });
    item.state = h("span", { class: "cs-sr" });
    item.body = h("div", { class: "cs-msg-body" });
    item.children = h("div", { class: "cs-thought-children" });
    const summary = h("summary", {}, [
      h("span", { class: "cs-thought-icon", "aria-hidden": "true" }, [h("span", { class: "cs-spinner" }), icon("chevron")]),
      item.title,
      item.state,
      item.metaText,
    ]);
    item.details = h("details", { class: "cs-thought" }, [summary, h("div", { class: "cs-thought-body" }, [item.body, item.children])]);
    // A click (or Enter/Space) on the summary is the reader's choice; it wins from then on.
    summary.addEventListener("click", () => {
      item.toggled = true;
    });
    item.content.replaceChildren(item.details);
  }
  const status = meta.status === "pending" || meta.status === "done" ? meta.status : null;
  item.details.classList.toggle("cs-thought-pending", status === "pending");
  if (!item.toggled) item.details.open = status !== "done";
  const key = String(meta.title);
  if (item.titleKey !== key) {
    item.titleKey = key;
    item.title.replaceChildren(renderInline(key));
  }
  item.state.textContent = status === "pending" ? " (in progress)" : "";
  const log = typeof meta.log === "string" ? meta.log.trim() : "";
  item.metaText.replaceChildren(
    ...[log, formatDuration(meta.duration)].filter(Boolean).map((text) => h("span", { text })),
  );
}

function fillBody(body, content) {
  if (typeof content === "string") {
    body.classList.add("cs-md");
    body.csKey = null;
    renderInto(body, content);
    return;
  }
  // Media must not be rebuilt on every tick (a playing video would restart): only on change.
  const key = JSON.stringify(content ?? null);
  if (body.csKey === key) return;
  body.csKey = key;
  body.classList.remove("cs-md");
  body.replaceChildren(renderRich(content) || unsupported(content));
}

