// The page's footer, under the chat: the "Use via API" link (`show_api`), which opens the API
// panel (api-panel.js, a lazy part, loaded as soon as the pointer or focus reaches the link).
import { h } from "./dom.js";
import { icon } from "./icons.js";
import { load } from "./lazy.js";
import { label, phrase } from "./texts.js";

export class Footer {
  constructor() {
    this.config = {};
    this.panel = null;
    const text = h("span");
    label(text, "text", phrase("api.link"));
    this.link = h("button", { type: "button", class: "cs-api-link", "aria-haspopup": "dialog" }, [icon("code"), text]);
    this.link.addEventListener("click", () => this.open());
    for (const name of ["pointerenter", "focus"]) this.link.addEventListener(name, () => load("api"), { once: true });
    this.el = h("footer", { class: "cs-page-footer" }, [this.link]);
  }

  /** Follows `config` (also on a live reload): hidden with `show_api: false`; an open panel shows the new snippets. */
  set(config) {
    this.config = config;
    this.el.hidden = config.show_api === false;
    if (!this.panel) return;
    if (this.el.hidden) this.panel.close();
    else if (this.panel.isOpen) this.panel.set(config);
  }

  async open() {
    try {
      const { ApiPanel } = await load("api");
      this.panel = this.panel || new ApiPanel();
      this.panel.open(this.config, this.link);
    } catch (err) {
      console.error("chatserve: could not open the API panel", err);
    }
  }
}
