// `save_history`: past conversations in a side panel (a drawer on narrow screens) with New chat,
// rename and delete. Mode "browser" keeps them in this browser (localStorage, under a key that only
// depends on the page's path, so they survive server restarts); mode "server" lists what the
// server saved (api/conversations: the signed-in user's, else this browser's), with search, more
// pages, Download all and Delete all.
import { errorMessage, signInIfSessionEnded } from "./api.js";
import { h } from "./dom.js";
import { icon } from "./icons.js";
import english from "./texts/en.json?history" with { type: "json" };
import { addEnglish, label, phrase, t } from "./texts.js";

addEnglish(english);

const KEY = `chatserve:history:${location.pathname}`;
const OPEN_KEY = "chatserve:history-open";
const NARROW = window.matchMedia("(max-width: 767.98px)");
const API = "api/conversations";

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

// Conversations in this browser. Every method answers at once (a promise, as the server's do).
class BrowserStore {
  constructor(changed) {
    window.addEventListener("storage", (e) => e.key === KEY && changed());
  }

  get all() {
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
  }

  async page() {
    return { items: this.all.map((c) => ({ id: c.id, title: c.title || titleOf(c.messages) })), next: null };
  }

  async open(id) {
    const found = this.all.find((c) => c.id === id);
    return found ? { messages: found.messages } : null;
  }

  async rename(id, title) {
    const all = this.all;
    const entry = all.find((c) => c.id === id);
    if (entry) entry.title = title;
    this.write(all);
  }

  async remove(id) {
    this.write(this.all.filter((c) => c.id !== id));
  }

  /** Saves `messages` as conversation `id` (a new one, with a new id, goes to the top); returns its id. */
  save(id, messages) {
    const conversations = this.all;
    const old = conversations.find((c) => c.id === id);
    const entry = { id: id || `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`, title: old ? old.title : null, messages };
    this.write([entry, ...conversations.filter((c) => c !== old)]);
    return entry.id;
  }
}

// Conversations the server saved: each call is a request; a failure rejects with its message.
class ServerStore {
  async call(url, options = {}) {
    const response = await fetch(url, { credentials: "same-origin", ...options });
    if (!response.ok) {
      signInIfSessionEnded(response.status);
      throw new Error(await errorMessage(response));
    }
    return response.status === 204 ? null : response.json();
  }

  async page(query, before) {
    const params = new URLSearchParams({ limit: "50" });
    if (query) params.set("q", query);
    if (before) params.set("before", before);
    const { conversations, next } = await this.call(`${API}?${params}`);
    return { items: conversations, next };
  }

  open(id) {
    return this.call(`${API}/${encodeURIComponent(id)}`);
  }

  rename(id, title) {
    return this.call(`${API}/${encodeURIComponent(id)}`, { method: "PATCH", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ title }) });
  }

  remove(id) {
    return this.call(`${API}/${encodeURIComponent(id)}`, { method: "DELETE" });
  }

  removeAll() {
    return this.call(API, { method: "DELETE" });
  }
}

export class History {
  /**
   * `mode` "browser" or "server"; `conversation` the page's (the id of the one the server
   * saves turns in); `select({messages, id?, inputs?, feedback?})` shows a saved conversation;
   * `fresh()` starts a new one.
   */
  constructor({ mode, conversation, select, fresh }) {
    this.mode = mode;
    this.server = mode === "server";
    this.conversation = conversation;
    this.select = select;
    this.fresh = fresh;
    this.store = this.server ? new ServerStore() : new BrowserStore(() => this.refresh());
    this.current = null;
    this.busy = false;
    this.items = [];
    this.next = null;
    this.query = "";
    this.loads = 0; // bumped per listing asked for: only the newest one is shown
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
    this.heading = h("h2", { class: "cs-history-title" });
    this.el = h("nav", { class: "cs-history", "aria-label": phrase("history.label"), id: "cs-history" }, [
      h("div", { class: "cs-history-head" }, [newChat, this.close]),
      this.server && this.searchBox(),
      this.heading,
      this.list,
      this.server && this.foot(),
    ].filter(Boolean));
    this.backdrop = h("div", { class: "cs-history-backdrop", hidden: true });
    this.backdrop.addEventListener("click", () => this.show(false));
    this.toggle = h("button", { type: "button", class: "cs-icon-btn cs-history-toggle", "aria-controls": "cs-history" }, [icon("panel")]);
    this.toggle.addEventListener("click", () => this.show(!this.open, true));
    this.el.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && NARROW.matches && this.open && !e.defaultPrevented) {
        e.preventDefault();
        this.show(false, true);
      }
    });
    // Conversations saved from another device (or tab) show when the page is looked at again.
    if (this.server) document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && this.refresh());
    NARROW.addEventListener("change", () => this.show(!NARROW.matches && read(OPEN_KEY) !== "0"));
    this.show(!NARROW.matches && read(OPEN_KEY) !== "0");
    this.refresh();
  }

  // Server mode: the search field; what is typed filters the list (titles and text) as it is typed.
  searchBox() {
    this.search = h("input", { type: "search", class: "cs-history-search-input", placeholder: phrase("history.search"), "aria-label": phrase("history.search"), maxlength: "200", autocomplete: "off" });
    const clear = h("button", { type: "button", class: "cs-icon-btn cs-history-search-clear", "aria-label": phrase("history.clear_search"), title: phrase("history.clear_search"), hidden: true }, [icon("x")]);
    const empty = () => {
      this.search.value = "";
      this.search.dispatchEvent(new Event("input"));
    };
    clear.addEventListener("click", () => {
      empty();
      this.search.focus();
    });
    let timer = 0;
    this.search.addEventListener("input", () => {
      clear.hidden = !this.search.value;
      clearTimeout(timer);
      timer = setTimeout(() => {
        this.query = this.search.value.trim();
        this.refresh();
      }, 200);
    });
    this.search.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && this.search.value) {
        e.preventDefault(); // clears the search; the next Escape closes the drawer
        empty();
      }
    });
    return h("div", { class: "cs-history-search" }, [this.search, clear]);
  }

  // Server mode: Download all, and Delete all behind a confirmation.
  foot() {
    const download = h("a", { class: "cs-history-action", href: `${API}/export`, download: "conversations.json", title: phrase("history.download_all_title") }, [
      icon("download"),
      h("span", { text: phrase("history.download_all") }),
    ]);
    const removeAll = h("button", { type: "button", class: "cs-history-action", title: phrase("history.delete_all_title") }, [icon("clear"), h("span", { text: phrase("history.delete_all") })]);
    const tools = h("div", { class: "cs-history-foot-tools" }, [download, removeAll]);
    const yes = h("button", { type: "button", class: "cs-history-action cs-history-danger", text: phrase("history.delete_all_yes") });
    const no = h("button", { type: "button", class: "cs-history-action", text: phrase("history.cancel") });
    const confirm = h("div", { class: "cs-history-confirm", role: "alertdialog", "aria-label": phrase("history.delete_all"), hidden: true }, [
      h("p", { text: phrase("history.delete_all_confirm") }),
      h("div", { class: "cs-history-foot-tools" }, [yes, no]),
    ]);
    const asking = (ask) => {
      tools.hidden = ask;
      confirm.hidden = !ask;
      (ask ? no : removeAll).focus();
    };
    removeAll.addEventListener("click", () => asking(true));
    no.addEventListener("click", () => asking(false));
    confirm.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        asking(false);
      }
    });
    yes.addEventListener("click", async () => {
      if (this.busy) return;
      try {
        await this.store.removeAll();
      } catch (err) {
        this.failed(err);
        return;
      }
      asking(false);
      if (this.current) {
        this.current = null;
        this.fresh();
      }
      this.refresh();
    });
    this.footEl = h("div", { class: "cs-history-foot" }, [tools, confirm]);
    return this.footEl;
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

  /** Lists the conversations (the first page of those the search finds). */
  async refresh() {
    const load = ++this.loads;
    try {
      const { items, next } = await this.store.page(this.query);
      if (load !== this.loads) return;
      this.items = items;
      this.next = next;
      this.error = null;
    } catch (err) {
      if (load !== this.loads) return;
      this.error = err.message;
    }
    this.render();
  }

  // The next page of the list.
  async more() {
    const load = this.loads;
    try {
      const { items, next } = await this.store.page(this.query, this.next);
      if (load !== this.loads) return;
      this.items = [...this.items, ...items];
      this.next = next;
    } catch (err) {
      this.error = err.message;
    }
    this.render();
  }

  failed(err) {
    this.error = err.message;
    this.render();
  }

  /** The conversation changed (a turn ended, or Undo): the browser keeps it; the server has. */
  save(messages) {
    if (this.server) this.current = this.conversation.id || this.current;
    else if (!messages.length) return this.remove(this.current);
    else this.current = this.store.save(this.current, messages);
    this.refresh();
  }

  async remove(id) {
    if (id == null) return;
    if (id === this.current) this.current = null;
    try {
      await this.store.remove(id);
    } catch (err) {
      this.failed(err);
      return;
    }
    await this.refresh();
  }

  setBusy(busy) {
    this.busy = busy;
    this.el.classList.toggle("cs-history-busy", busy);
  }

  // Shows a saved conversation (the server's, with its id, inputs' values and ratings).
  async openOne(item) {
    if (this.busy || item.id === this.current) return;
    let saved;
    try {
      saved = await this.store.open(item.id);
    } catch (err) {
      this.failed(err);
      return;
    }
    if (!saved || this.busy) return;
    this.current = item.id;
    this.render();
    this.select(saved);
    if (NARROW.matches) this.show(false);
  }

  render() {
    const items = this.items.map((c) => {
      const title = c.title || t("history.untitled");
      const open = h("button", { type: "button", class: "cs-history-open-btn", title, "aria-current": c.id === this.current ? "true" : null }, [
        icon("chat"),
        h("span", { text: title }),
      ]);
      open.addEventListener("click", () => this.openOne(c));
      const rename = h("button", { type: "button", class: "cs-icon-btn", "aria-label": phrase("history.rename_name", { title }), title: phrase("history.rename") }, [icon("edit")]);
      const remove = h("button", { type: "button", class: "cs-icon-btn", "aria-label": phrase("history.delete_name", { title }), title: phrase("history.delete") }, [icon("clear")]);
      const li = h("li", { class: `cs-history-item${c.id === this.current ? " cs-current" : ""}` }, [open, h("span", { class: "cs-history-tools" }, [rename, remove])]);
      rename.addEventListener("click", () => this.rename(li, c, title));
      remove.addEventListener("click", async () => {
        const index = [...this.list.children].indexOf(li);
        if (c.id === this.current) {
          this.current = null;
          this.fresh();
        }
        await this.remove(c.id);
        // Focus stays in the list: on the item now in its place, else New chat.
        const buttons = this.list.querySelectorAll(".cs-history-open-btn");
        (buttons[Math.min(index, buttons.length - 1)] || this.el.querySelector(".cs-new-chat")).focus();
      });
      return li;
    });
    if (this.next) {
      const more = h("button", { type: "button", class: "cs-history-more", text: phrase("history.more") });
      more.addEventListener("click", () => this.more());
      items.push(h("li", {}, [more]));
    }
    if (!this.items.length) {
      const empty = this.query ? phrase("history.no_results", { query: this.query }) : phrase("history.empty");
      items.push(h("li", { class: "cs-history-empty", text: empty }));
    }
    if (this.error) items.unshift(h("li", { class: "cs-history-error", role: "alert", text: this.error }));
    label(this.heading, "text", phrase(this.query ? "history.results" : "history.recent"));
    if (this.footEl) this.footEl.hidden = !this.items.length && !this.query; // nothing to download or delete
    this.list.replaceChildren(...items);
  }

  rename(li, conversation, title) {
    const input = h("input", { class: "cs-history-rename", type: "text", "aria-label": phrase("history.name"), maxlength: "120" });
    input.value = title;
    let done = false;
    const finish = async (keep) => {
      if (done) return;
      done = true;
      const value = input.value.trim();
      if (keep && value && value !== title) {
        try {
          await this.store.rename(conversation.id, value);
        } catch (err) {
          this.error = err.message;
        }
        await this.refresh();
      } else this.render();
      const again = [...this.list.querySelectorAll(".cs-history-open-btn")].find((b) => b.title === (keep && value && !this.error ? value : title));
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
