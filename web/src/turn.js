// One assistant turn in the message list: its messages (by index, as the stream numbers them,
// thoughts nesting others), the pending indicator with the wait (and the place in the queue),
// error and "Stopped" notes, and, once it ends, its buttons (Copy, Retry, Undo, feedback).
// While it streams, only the messages that changed are rendered again, at most once a frame.
import { avatar, copyButton, iconButton } from "./buttons.js";
import { h } from "./dom.js";
import { icon } from "./icons.js";
import { part } from "./lazy.js";
import { messageItem, renderMessage } from "./message.js";
import { phrase, t } from "./texts.js";
import { formatDuration, thoughtParents } from "./thoughts.js";

export class Turn {
  /** A turn of `list` (a MessageList: its settings, actions, announcer and observers). */
  constructor(list) {
    this.list = list;
    this.items = [];
    this.dirty = new Set();
    this.frame = 0;
    this.nextRender = 0;
    this.live = null;
    this.visible = true;
    this.flag = null;
    this.messages = [];
    this.replies = h("div", { class: "cs-replies" });
    this.queueText = "";
    this.status = h("span", { class: "cs-pending-text" });
    const mode = list.settings.progress;
    this.pending = h("div", { class: `cs-pending cs-progress-${mode}`, hidden: mode === "hidden" }, [
      avatar("bot", list.avatars.bot),
      h("span", { class: "cs-dots", "aria-hidden": "true" }, [h("i"), h("i"), h("i")]),
      h("span", { class: "cs-sr", text: phrase("messages.waiting") }),
      this.status,
    ]);
    this.started = performance.now();
    this.timer = setInterval(() => this.tick(), 100);
    this.el = h("div", { class: "cs-turn" }, [this.replies, this.pending]);
    this.el.csTurn = this;
    list.turns.add(this);
  }

  // The seconds spent waiting (and the place in the queue) while no token has come.
  tick() {
    const seconds = formatDuration((performance.now() - this.started) / 1000, 1);
    this.status.textContent = [this.queueText, seconds].filter(Boolean).join(" \u00b7 ");
  }

  stopTimer() {
    clearInterval(this.timer);
    this.timer = 0;
  }

  /** `event: queue`: shows the position while waiting for a free slot. */
  queue(position) {
    this.queueText = Number.isFinite(position) ? t("messages.queue", { position }) : "";
    this.tick();
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
    this.errorNote = h("div", { class: "cs-note cs-error", role: "alert" }, [icon("alert"), h("div", { class: "cs-note-text", text })]);
    this.el.append(this.errorNote);
  }

  /**
   * Ends the turn. With `messages` (from `done`) those replace what streamed; without, the
   * streamed messages stay as they are. Returns the turn's messages.
   */
  finish(messages, { stopped = false, quiet = false } = {}) {
    cancelAnimationFrame(this.frame);
    this.stopTimer();
    this.list.seen.unobserve(this.el);
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
    for (const item of this.items) renderMessage(item, false);
    this.messages = this.items.map((item) => item.message);
    this.layout();
    this.addActions();
    this.setCaret(null);
    this.pending.remove();
    if (stopped) this.el.append(h("div", { class: "cs-note cs-stopped", text: phrase("messages.stopped") }));
    if (!quiet) this.list.announce(this.replies.textContent.trim());
    if (this.list.inner.childElementCount > 60) this.list.el.classList.add("cs-long");
    return this.messages;
  }

  // Copy (the text of the group's top-level text messages), Retry and Undo (shown on the last
  // turn only), and the feedback buttons.
  addActions() {
    const text = () =>
      this.items
        .filter((item) => typeof item.message.content === "string" && !item.children && !item.el.classList.contains("cs-nested"))
        .map((item) => item.message.content.trim())
        .filter(Boolean)
        .join("\n\n");
    const { retry, undo } = this.list.actions;
    const copy = copyButton(() => this.list.withWatermark(text()));
    copy.hidden = !text();
    this.feedback = h("div", { class: "cs-feedback" });
    this.actions = h("div", { class: "cs-actions" }, [
      copy,
      iconButton(phrase("messages.retry"), "retry", () => retry(this), "cs-last-only"),
      iconButton(phrase("messages.undo"), "undo", () => undo(this), "cs-last-only"),
      this.feedback,
    ]);
    this.replies.after(this.actions);
    this.addFeedback();
  }

  /** (Re)builds the feedback buttons for the current flagging options. */
  addFeedback() {
    if (!this.feedback) return;
    const options = this.list.settings.flagging;
    const module = part("feedback");
    this.feedbackView = options && module && this.messages.length ? new module.Feedback(options, this.flag, (option) => this.list.actions.flag(this, option)) : null;
    this.feedback.replaceChildren(...(this.feedbackView ? [this.feedbackView.el] : []));
  }

  /** Renders the finished messages again (the message settings changed). */
  refresh() {
    if (this.timer || this.frame || this.live) return;
    for (const item of this.items) {
      if (item.body) item.body.csText = null;
      renderMessage(item, false);
    }
  }

  item(index) {
    let item = this.items[index];
    if (!item) {
      item = this.items[index] = messageItem(index, avatar("bot", this.list.avatars.bot));
      // Keep document order equal to index order even if a later index arrives first.
      const next = this.items.slice(index + 1).find(Boolean);
      this.replies.insertBefore(item.el, next ? next.el : null);
    }
    return item;
  }

  touch(item) {
    if (this.timer) {
      this.stopTimer();
      this.pending.hidden = true;
    }
    this.live = item;
    this.schedule(item);
  }

  // Re-renders only the messages that changed, at most once per animation frame; long replies
  // that take a while to render, and replies out of view, are re-rendered less often, so
  // streaming never starves the page.
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
      for (const dirty of this.dirty) renderMessage(dirty, dirty === this.live);
      this.dirty.clear();
      this.layout();
      this.setCaret(this.live);
      const end = performance.now();
      const cost = end - start;
      this.nextRender = !this.visible ? end + 500 : cost > 8 ? end + Math.min(cost * 4, 250) : 0;
    };
    this.frame = requestAnimationFrame(tick);
  }

  // The soft caret goes after the text of the message that is growing.
  setCaret(item) {
    for (const el of this.el.querySelectorAll(".cs-caret")) el.classList.remove("cs-caret");
    if (item && item.body && typeof item.message.content === "string") (item.tail || item.body).classList.add("cs-caret");
  }

  // Places every message: inside its thought (see thoughts.js), else at the top level of the
  // group, in index order, moving only the elements that are not in place yet.
  layout() {
    const items = this.items.filter(Boolean);
    const parents = thoughtParents(items.map((item) => item.meta || {}));
    const last = new Map();
    items.forEach((item, i) => {
      const parent = parents[i] === -1 ? null : items[parents[i]];
      const target = parent ? parent.children : this.replies;
      const previous = last.get(target) || null;
      if (item.el.parentNode !== target || item.el.previousElementSibling !== previous) {
        if (previous) previous.after(item.el);
        else target.prepend(item.el);
      }
      last.set(target, item.el);
      item.el.classList.toggle("cs-nested", !!parent);
    });
  }
}
