// The message list (role=log): the user's turns (text bubbles and files), assistant turns (one
// group of messages: Markdown, files and components, nested "thoughts"), their buttons (copy,
// retry, undo, edit, feedback), preset options, notes, the pending indicator, and autoscroll
// that stops when the reader scrolls up. Completed replies are announced once.
import { copyText, flashCopied, h } from "./dom.js";
import { downloadButton, renderRich, unsupported } from "./files.js";
import { icon } from "./icons.js";
import { part } from "./lazy.js";
import { renderInline, renderMessageText } from "./markdown.js";

// Within this many pixels of the bottom counts as "at the bottom".
const STICK_PX = 48;
// Streaming text longer than this renders only its last blocks on each frame.
const TAIL_FROM = 3000;

function button(name, iconName, onClick, className = "") {
  const el = h("button", { type: "button", class: `cs-icon-btn ${className}`, "aria-label": name, title: name }, [icon(iconName)]);
  el.addEventListener("click", onClick);
  return el;
}

// The avatar images (chatbot.avatar_images), by role; an icon stands in where there is none.
const avatars = { user: null, bot: null };

function avatar(role) {
  const src = avatars[role];
  return h("span", { class: `cs-avatar cs-avatar-${role}`, "aria-hidden": "true" }, [
    icon(role === "user" ? "user" : "bot"),
    h("img", { src, alt: "", hidden: !src, decoding: "async" }),
  ]);
}

/** The text a message contributes to a copy: its text, or a file's name, or the component's kind. */
export function messageText(message) {
  const content = message && message.content;
  if (typeof content === "string") return content;
  if (content && content.file) return `[${content.file.name || content.file.url || "file"}]`;
  return content && content.component ? `[${content.component}]` : "";
}

export class MessageList {
  /** `actions`: {retry(turn), undo(turn), edit(group, text), flag(turn, option)}. */
  constructor(actions) {
    this.actions = actions;
    this.autoscroll = true;
    this.stick = true;
    this.options = null;
    this.settings = { copy: true, watermark: null, editable: false, flagging: null, progress: "minimal" };
    this.turns = new Set();
    this.inner = h("div", { class: "cs-log-inner" });
    this.el = h(
      "div",
      { class: "cs-log", role: "log", "aria-live": "polite", "aria-busy": "false", "aria-label": "Conversation", tabindex: "0" },
      [this.inner],
    );
    // Completed replies are read out once, from here (the log is quiet while a reply streams).
    this.announcer = h("div", { class: "cs-sr", role: "status", "aria-live": "polite", "aria-atomic": "true" });
    this.jump = h("button", { type: "button", class: "cs-jump", "aria-label": "Scroll to bottom", title: "Scroll to bottom", hidden: true }, [icon("down")]);
    this.jump.addEventListener("click", () => this.scrollToEnd(true));
    this.setScroller(false);
    // Content and viewport both change size while a reply streams (text, images, the composer).
    const follow = new ResizeObserver(() => this.follow());
    follow.observe(this.inner);
    follow.observe(this.el);
    // A reply streaming out of view is re-rendered less often.
    this.seen = new IntersectionObserver((entries) => {
      for (const entry of entries) if (entry.target.csTurn) entry.target.csTurn.visible = entry.isIntersecting;
    });
  }

  /**
   * `page` true: the page scrolls (natural height, `fill_height: false`); false: the list
   * scrolls inside its box.
   */
  setScroller(page) {
    if (this.page === page) return;
    this.page = page;
    const target = page ? window : this.el;
    if (this.onScroll) (page ? this.el : window).removeEventListener("scroll", this.onScroll);
    // Only the reader scrolling up unsticks: content that grows (an image that loads) must not.
    this.lastTop = this.top;
    this.onScroll = () => {
      const top = this.top;
      if (this.gap < STICK_PX) this.stick = true;
      else if (top < this.lastTop - 1) this.stick = false;
      this.lastTop = top;
      this.jump.hidden = this.stick || !this.autoscroll;
    };
    target.addEventListener("scroll", this.onScroll, { passive: true });
  }

  get scroller() {
    return this.page ? document.scrollingElement || document.documentElement : this.el;
  }

  get top() {
    return this.scroller.scrollTop;
  }

  // How far the bottom of the conversation is below the visible part.
  get gap() {
    if (!this.page) return this.el.scrollHeight - this.el.scrollTop - this.el.clientHeight;
    return this.inner.getBoundingClientRect().bottom - window.innerHeight;
  }

  follow() {
    if (this.stick && this.autoscroll) this.scrollToEnd();
    else this.jump.hidden = !this.autoscroll || this.gap < STICK_PX;
  }

  /** The chatbot settings that change how messages and their buttons look (also on a live reload). */
  configure(settings) {
    const flagging = JSON.stringify(settings.flagging) !== JSON.stringify(this.settings.flagging);
    this.settings = settings;
    this.el.classList.toggle("cs-no-copy", !settings.copy);
    this.el.classList.toggle("cs-editable", !!settings.editable);
    if (flagging) for (const turn of this.turns) turn.addFeedback();
  }

  /** Sets the avatar images (safe URLs or null), also on the messages already shown. */
  setAvatars(user, bot) {
    for (const [role, src] of [["user", user], ["bot", bot]]) {
      if (avatars[role] === src) continue;
      avatars[role] = src;
      for (const img of this.inner.querySelectorAll(`.cs-avatar-${role} img`)) {
        img.hidden = !src;
        if (src) img.src = src;
        else img.removeAttribute("src");
      }
    }
  }

  get isEmpty() {
    return this.inner.childElementCount === 0;
  }

  /** Shows what the person sent: its files (as the server will see them), then its text. Returns the group. */
  addUser(messages, { scroll = true } = {}) {
    const files = h("div", { class: "cs-user-files" });
    const body = h("div", { class: "cs-user-body" }, [h("span", { class: "cs-sr", text: "You said:" }), files]);
    const group = h("div", { class: "cs-msg cs-msg-user" }, [avatar("user"), body]);
    let text = null;
    for (const message of messages) {
      if (typeof message.content === "string") {
        text = message.content;
        group.bubble = h("div", { class: "cs-bubble", text });
        body.append(group.bubble);
      } else files.append(h("div", { class: "cs-user-file" }, [renderRich(message.content) || unsupported(message.content)]));
    }
    if (!files.childElementCount) files.remove();
    if (text != null) {
      const copy = button("Copy", "copy", async () => flashCopied(copy, await copyText(this.withWatermark(text))), "cs-copy");
      copy.append(icon("check"));
      const edit = button("Edit", "edit", () => this.edit(group, text), "cs-edit");
      group.tools = h("div", { class: "cs-user-actions" }, [copy, edit]);
      // The buttons sit beside the bubble (shown on hover or focus).
      const row = h("div", { class: "cs-bubble-row" });
      group.bubble.replaceWith(row);
      row.append(group.tools, group.bubble);
    }
    this.inner.append(group);
    if (scroll) this.scrollToEnd(true);
    return group;
  }

  // The inline editor of a user's text message: Save regenerates from there, Cancel puts it back.
  edit(group, text) {
    if (group.editor || !group.bubble) return;
    const area = h("textarea", { class: "cs-edit-input", "aria-label": "Edit message", rows: "1" });
    area.value = text;
    const close = () => {
      group.editor.parentNode.classList.remove("cs-editing");
      group.editor.replaceWith(group.bubble);
      group.tools.hidden = false;
      group.editor = null;
    };
    const save = () => {
      const value = area.value;
      if (!value.trim()) return;
      if (value === text) {
        close();
        group.tools.querySelector(".cs-edit").focus();
        return;
      }
      this.actions.edit(group, value);
    };
    const grow = () => {
      area.style.height = "auto";
      area.style.height = `${area.scrollHeight + 2}px`;
    };
    area.addEventListener("input", grow);
    area.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        save();
      } else if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        close();
        group.tools.querySelector(".cs-edit").focus();
      }
    });
    const cancel = h("button", { type: "button", class: "cs-btn", text: "Cancel" });
    cancel.addEventListener("click", () => {
      close();
      group.tools.querySelector(".cs-edit").focus();
    });
    const saveBtn = h("button", { type: "button", class: "cs-btn cs-btn-primary", text: "Save" });
    saveBtn.addEventListener("click", save);
    group.editor = h("div", { class: "cs-editor" }, [area, h("div", { class: "cs-editor-actions" }, [cancel, saveBtn])]);
    group.bubble.replaceWith(group.editor);
    group.tools.hidden = true;
    group.editor.parentNode.classList.add("cs-editing");
    grow();
    area.focus();
    area.setSelectionRange(text.length, text.length);
  }

  /** Starts the reply to the last user message; returns its Turn. */
  startTurn() {
    const turn = new Turn(this);
    this.inner.append(turn.el);
    this.seen.observe(turn.el);
    if (this.autoscroll) this.scrollToEnd(true);
    return turn;
  }

  /** A finished reply made of `messages` (a saved conversation); returns its Turn. */
  addReply(messages) {
    const turn = new Turn(this);
    this.inner.append(turn.el);
    turn.finish(messages, { quiet: true });
    return turn;
  }

  /** Removes groups and turns (retry, undo, edit cut the conversation). */
  remove(elements) {
    for (const el of elements) {
      if (!el) continue;
      if (el.csTurn) this.forget(el.csTurn);
      if (this.options && el.contains(this.options)) this.options = null;
      el.remove();
    }
    this.follow();
  }

  forget(turn) {
    this.turns.delete(turn);
    this.seen.unobserve(turn.el);
  }

  /** Preset replies under the last assistant group; `onPick(value)` when one is clicked. */
  showOptions(turn, options, onPick) {
    this.clearOptions();
    const valid = (Array.isArray(options) ? options : []).filter((o) => o && typeof o.value === "string" && o.value);
    if (!valid.length) return;
    this.options = h("div", { class: "cs-options", role: "group", "aria-label": "Suggested replies" });
    for (const option of valid) {
      const label = typeof option.label === "string" && option.label ? option.label : option.value;
      const el = h("button", { type: "button", class: "cs-option", text: label });
      el.addEventListener("click", () => onPick(option.value));
      this.options.append(el);
    }
    turn.el.append(this.options);
  }

  clearOptions() {
    if (this.options) this.options.remove();
    this.options = null;
  }

  // The log is quiet while a reply streams; the finished reply is announced once.
  setBusy(busy) {
    this.el.setAttribute("aria-busy", busy ? "true" : "false");
    this.el.setAttribute("aria-live", busy ? "off" : "polite");
  }

  announce(text) {
    this.announcer.textContent = "";
    if (text) setTimeout(() => (this.announcer.textContent = text.length > 1500 ? `${text.slice(0, 1500)}\u2026` : text), 50);
  }

  withWatermark(text) {
    const mark = this.settings.watermark;
    return mark ? `${text}\n\n${mark}` : text;
  }

  clear() {
    for (const turn of this.turns) this.forget(turn);
    this.inner.replaceChildren();
    this.options = null;
    this.stick = true;
    this.jump.hidden = true;
    this.el.classList.remove("cs-long");
  }

  scrollToEnd(force = false) {
    if (force) this.stick = true;
    if (!this.autoscroll && !force) return;
    if (this.page) window.scrollTo(0, document.documentElement.scrollHeight);
    else this.el.scrollTop = this.el.scrollHeight;
    this.jump.hidden = true;
  }
}

/** One assistant turn: its messages (by index, as the stream numbers them), buttons and notes. */
class Turn {
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
      avatar("bot"),
      h("span", { class: "cs-dots", "aria-hidden": "true" }, [h("i"), h("i"), h("i")]),
      h("span", { class: "cs-sr", text: "Waiting for the reply" }),
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
    const seconds = `${((performance.now() - this.started) / 1000).toFixed(1)}s`;
    this.status.textContent = [this.queueText, seconds].filter(Boolean).join(" \u00b7 ");
  }

  stopTimer() {
    clearInterval(this.timer);
    this.timer = 0;
  }

  /** `event: queue`: shows the position while waiting for a free slot. */
  queue(position) {
    this.queueText = Number.isFinite(position) ? `Waiting in line: ${position}` : "";
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
    if (stopped) this.el.append(h("div", { class: "cs-note cs-stopped", text: "Stopped" }));
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
    const copy = button("Copy", "copy", async () => flashCopied(copy, await copyText(this.list.withWatermark(text()))), "cs-copy");
    copy.append(icon("check"));
    copy.hidden = !text();
    this.feedback = h("div", { class: "cs-feedback" });
    this.actions = h("div", { class: "cs-actions" }, [
      copy,
      button("Retry", "retry", () => retry(this), "cs-last-only"),
      button("Undo", "undo", () => undo(this), "cs-last-only"),
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
      const content = h("div", { class: "cs-content" });
      const el = h("div", { class: "cs-msg cs-msg-assistant" }, [avatar("bot"), content]);
      item = { message: { role: "assistant", content: "" }, el, content, index };
      this.items[index] = item;
      // Keep document order equal to index order even if a later index arrives first.
      const next = this.items.slice(index + 1).find(Boolean);
      this.replies.insertBefore(el, next ? next.el : null);
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

function renderMessage(item, streaming) {
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
  fillBody(item, message.content, streaming);
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

// Where a long streaming text can be cut: the last blank line outside a code fence. What comes
// before it is rendered once; only the rest is rendered again on each frame.
function stableEnd(item, text) {
  let { scanned = 0, fence = null, cut = 0 } = item.scan || {};
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
  item.scan = { scanned, fence, cut };
  return cut;
}

function fillBody(item, content, streaming) {
  const { body } = item;
  if (typeof content === "string") {
    body.classList.add("cs-md");
    body.csKey = null;
    const cut = streaming && content.length > TAIL_FROM ? stableEnd(item, content) : 0;
    if (cut < 1000) {
      // Already showing exactly this (the last frame of a stream is often the final text).
      if (!item.tail && body.csText === content) return;
      item.tail = item.head = null;
      item.done = 0;
      body.replaceChildren(renderMessageText(content));
      body.csText = content;
      return;
    }
    body.csText = null;
    if (!item.tail || !body.contains(item.tail)) {
      item.head = h("div", { class: "cs-part" });
      item.tail = h("div", { class: "cs-part" });
      item.done = 0;
      body.replaceChildren(item.head, item.tail);
    }
    if (cut > item.done) {
      item.head.append(renderMessageText(content.slice(item.done, cut)));
      item.done = cut;
    }
    item.tail.replaceChildren(renderMessageText(content.slice(item.done)));
    return;
  }
  item.tail = null;
  body.csText = null;
  // Media must not be rebuilt on every tick (a playing video would restart): only on change.
  const key = JSON.stringify(content ?? null);
  if (body.csKey === key) return;
  body.csKey = key;
  body.classList.remove("cs-md");
  const shown = renderRich(content) || unsupported(content);
  const file = content && content.file;
  const kind = shown.classList.contains("cs-image") ? "image" : shown.classList.contains("cs-video") ? "video" : null;
  body.replaceChildren(kind && file ? h("div", { class: "cs-media-box" }, [shown, downloadButton(file)]) : shown);
}
