// `save_history`: past conversations kept in this browser (localStorage, under a key that only
// depends on the page's path, so they survive server restarts), listed in a side panel (a drawer
// on narrow screens) with New chat, rename and delete.
import { h } from "./dom.js";
import { icon } from "./icons.js";
import english from "./texts/en.json?history" with { type: "json" };
import { addEnglish, label, phrase, t } from "./texts.js";

addEnglish(english);

const KEY = `chatserve:history:${location.pathname}`;
const OPEN_KEY = "chatserve:history-open";
const NARROW = window.matchMedia("(max-width: 767.98px)");

function read(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

/** A conversation's title: its first user turn (a 📎 per file, then the text), cut to 40 characters. */
export function titleOf(messages) {
  let files = "";
  for (const m of messages) {
    if (m.role !== "user") {
      if (files) break;
      continue;
    }
    if (typeof m.content !== "string") {
      files += "\u{1F4CE}";
      continue;
    }
    const text = `${files}${files ? " " : ""}${m.content.trim().replace(/\s+/g, " ")}`;
    return text.length > 40 ? `${text.slice(0, 40)}\u2026` : text || t("history.untitled");
  }
  return files || t("history.untitled");
}

export class History {
  /** `select(messages)` loads a conversation; `fresh()` starts a new one. */
  constructor({ select, fresh }) {
    this.select = select;
    this.fresh = fresh;
    this.current = null;
    this.busy = false;
    this.list = h("ul", { class: "cs-history-list" });
    const newChat = h("button", { type: "button", class: "cs-new-chat" }, [icon("plus"), h("span", { text: phrase("history.new_chat") })]);
    newChat.addEventListener("click", () => {
      if (this.busy) return;
      this.current = null;
      this.render();
      this.fresh();
      if (NARROW.matches) this.show(false);
    });
    this.close = h("button", { type: "button", class: "cs-icon-btn cs-history-close", "aria-label": phrase("history.close_label"), title: phrase("history.close") }, [icon("x")]);
    this.close.addEventListener("click", () => this.show(false, true));
    this.el = h("nav", { class: "cs-history", "aria-label": phrase("history.label"), id: "cs-history" }, [
      h("div", { class: "cs-history-head" }, [newChat, this.close]),
      h("h2", { class: "cs-history-title", text: phrase("history.recent") }),
      this.list,
    ]);
    this.backdrop = h("div", { class: "cs-history-backdrop", hidden: true });
    this.backdrop.addEventListener("click", () => this.show(false));
    this.toggle = h("button", { type: "button", class: "cs-icon-btn cs-history-toggle", "aria-controls": "cs-history" }, [icon("panel")]);
    this.toggle.addEventListener("click", () => this.show(!this.open, true));
    this.el.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && NARROW.matches && this.open) {
        e.preventDefault();
        this.show(false, true);
      }
    });
    window.addEventListener("storage", (e) => e.key === KEY && this.render());
    NARROW.addEventListener("change", () => this.show(!NARROW.matches && read(OPEN_KEY) !== "0"));
    this.show(!NARROW.matches && read(OPEN_KEY) !== "0");
    this.render();
  }

  get conversations() {
    try {
      const saved = JSON.parse(read(KEY) || "[]");
      return Array.isArray(saved) ? saved.filter((c) => c && typeof c.id === "string" && Array.isArray(c.messages)) : [];
    } catch {
      return [];
    }
  }

  write(conversations) {
    // Full storage: the oldest conversations go first.
    // An empty list is written too: deleting the last conversation must stick.
    for (let keep = conversations.length; keep >= 0; keep -= Math.max(1, Math.ceil(keep / 4))) {
      try {
        localStorage.setItem(KEY, JSON.stringify(conversations.slice(0, keep)));
        break;
      } catch {
        // try again with fewer
      }
    }
    this.render();
  }

  /** Shows or hides the panel (a drawer over the page on narrow screens). */
  show(open, remember = false) {
    this.open = open;
    this.el.classList.toggle("cs-history-open", open);
    this.backdrop.hidden = !(open && NARROW.matches);
    this.toggle.setAttribute("aria-expanded", String(open));
    label(this.toggle, "aria-label", phrase(open ? "history.hide" : "history.show"));
    label(this.toggle, "title", phrase(open ? "history.hide" : "history.show"));
    if (remember && !NARROW.matches) {
      try {
        localStorage.setItem(OPEN_KEY, open ? "1" : "0");
      } catch {
        // not remembered
      }
    }
    if (remember) (open ? this.el.querySelector(".cs-new-chat") : this.toggle).focus();
  }

  /** Saves the current conversation (a new one goes to the top); an empty one is not kept. */
  save(messages) {
    if (!messages.length) return this.remove(this.current);
    const conversations = this.conversations;
    const old = conversations.find((c) => c.id === this.current);
    const entry = { id: this.current || `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`, title: old ? old.title : null, messages };
    this.current = entry.id;
    this.write([entry, ...conversations.filter((c) => c !== old)]);
  }

  remove(id) {
    if (id == null) return;
    if (id === this.current) this.current = null;
    this.write(this.conversations.filter((c) => c.id !== id));
  }

  setBusy(busy) {
    this.busy = busy;
    this.el.classList.toggle("cs-history-busy", busy);
  }

  render() {
    const items = this.conversations.map((c) => {
      const title = c.title || titleOf(c.messages);
      const open = h("button", { type: "button", class: "cs-history-open-btn", title, "aria-current": c.id === this.current ? "true" : null }, [
        icon("chat"),
        h("span", { text: title }),
      ]);
      open.addEventListener("click", () => {
        if (this.busy || c.id === this.current) return;
        this.current = c.id;
        this.render();
        this.select(c.messages);
        if (NARROW.matches) this.show(false);
      });
      const rename = h("button", { type: "button", class: "cs-icon-btn", "aria-label": phrase("history.rename_name", { title }), title: phrase("history.rename") }, [icon("edit")]);
      const remove = h("button", { type: "button", class: "cs-icon-btn", "aria-label": phrase("history.delete_name", { title }), title: phrase("history.delete") }, [icon("clear")]);
      const li = h("li", { class: `cs-history-item${c.id === this.current ? " cs-current" : ""}` }, [open, h("span", { class: "cs-history-tools" }, [rename, remove])]);
      rename.addEventListener("click", () => this.rename(li, c, title));
      remove.addEventListener("click", () => {
        const index = [...this.list.children].indexOf(li);
        if (c.id === this.current) {
          this.current = null;
          this.fresh();
        }
        this.remove(c.id);
        // Focus stays in the list: on the item now in its place, else New chat.
        const buttons = this.list.querySelectorAll(".cs-history-open-btn");
        (buttons[Math.min(index, buttons.length - 1)] || this.el.querySelector(".cs-new-chat")).focus();
      });
      return li;
    });
    if (!items.length) items.push(h("li", { class: "cs-history-empty", text: phrase("history.empty") }));
    this.list.replaceChildren(...items);
  }

  rename(li, conversation, title) {
    const input = h("input", { class: "cs-history-rename", type: "text", "aria-label": phrase("history.name"), maxlength: "120" });
    input.value = title;
    let done = false;
    const finish = (keep) => {
      if (done) return;
      done = true;
      const value = input.value.trim();
      const all = this.conversations;
      const entry = all.find((c) => c.id === conversation.id);
      if (keep && entry && value && value !== title) {
        entry.title = value;
        this.write(all);
      } else this.render();
      const again = [...this.list.querySelectorAll(".cs-history-open-btn")].find((b) => b.title === (keep && value ? value : title));
      if (again) again.focus();
    };
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") finish(true);
      else if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        finish(false);
      }
    });
    input.addEventListener("blur", () => finish(true));
    li.replaceChildren(input);
    input.focus();
    input.select();
  }
}
