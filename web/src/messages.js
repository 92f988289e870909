// The message list (role=log): the user's turns (user-turn.js) and the assistant's (turn.js) in
// order, preset options under the last reply, and autoscroll that stops when the reader scrolls
// up (a button jumps back down). The log is quiet while a reply streams; completed replies are
// announced once.
import { avatar } from "./buttons.js";
import { h } from "./dom.js";
import { icon } from "./icons.js";
import { phrase } from "./texts.js";
import { Turn } from "./turn.js";
import { userTurn } from "./user-turn.js";

// Within this many pixels of the bottom counts as "at the bottom".
const STICK_PX = 48;

export class MessageList {
  /** `actions`: {retry(turn), undo(turn), edit(group, text), flag(turn, option)}. */
  constructor(actions) {
    this.actions = actions;
    this.autoscroll = true;
    this.stick = true;
    this.options = null;
    this.settings = { copy: true, watermark: null, editable: false, flagging: null, progress: "minimal" };
    this.turns = new Set();
    // The avatar images (chatbot.avatar_images), by role; an icon stands in where there is none.
    this.avatars = { user: null, bot: null };
    this.inner = h("div", { class: "cs-log-inner" });
    this.el = h(
      "div",
      { class: "cs-log", role: "log", "aria-live": "polite", "aria-busy": "false", "aria-label": phrase("messages.conversation"), tabindex: "0" },
      [this.inner],
    );
    // Completed replies are read out once, from here (the log is quiet while a reply streams).
    this.announcer = h("div", { class: "cs-sr", role: "status", "aria-live": "polite", "aria-atomic": "true" });
    this.jump = h("button", { type: "button", class: "cs-jump", "aria-label": phrase("messages.scroll_to_bottom"), title: phrase("messages.scroll_to_bottom"), hidden: true }, [icon("down")]);
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
      if (this.avatars[role] === src) continue;
      this.avatars[role] = src;
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
    const group = userTurn(messages, {
      avatar: avatar("user", this.avatars.user),
      copied: (text) => this.withWatermark(text),
      save: (group, text) => this.actions.edit(group, text),
    });
    this.inner.append(group);
    if (scroll) this.scrollToEnd(true);
    return group;
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
  addReply(messages, flag = null) {
    const turn = new Turn(this);
    turn.flag = flag; // its rating, if it was given before (a saved conversation)
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
    this.options = h("div", { class: "cs-options", role: "group", "aria-label": phrase("messages.suggested_replies") });
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
