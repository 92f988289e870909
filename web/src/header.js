// The header: the conversations toggle (save_history), the title (plain text), the description
// (sanitized Markdown), Copy conversation, Clear, the colour-scheme toggle and, with
// `server.auth`, Sign out and Sign out everywhere (a plain form: it works without this
// script's help). `set` changes the title and description in place (live reload).
import { copyText, flashCopied, h, syncChildren } from "./dom.js";
import { icon } from "./icons.js";
import { renderInto } from "./markdown.js";
import { phrase } from "./texts.js";
import { colorSchemeToggle } from "./theme.js";

export class Header {
  constructor({ title, description, onClear, copyAll }) {
    this.heading = h("div", { class: "cs-heading" });
    this.copyAll = h("button", { type: "button", class: "cs-icon-btn cs-copy-all", "aria-label": phrase("header.copy_conversation"), title: phrase("header.copy_conversation"), hidden: true }, [
      icon("copy"),
      icon("check"),
    ]);
    this.copyAll.addEventListener("click", async () => flashCopied(this.copyAll, await copyText(copyAll())));
    this.clear = h("button", { type: "button", class: "cs-tool cs-clear", "aria-label": phrase("header.clear"), title: phrase("header.clear_title"), hidden: true }, [
      icon("clear"),
      h("span", { class: "cs-tool-text", text: phrase("header.clear") }),
    ]);
    this.clear.addEventListener("click", () => onClear());
    // Two submit buttons of one form: the second sends `everywhere`, ending every session of
    // this user (other browsers and devices too).
    this.signOut = h("form", { method: "post", action: "logout", class: "cs-sign-out", hidden: true }, [
      h("button", { type: "submit", class: "cs-tool", "aria-label": phrase("header.sign_out"), title: phrase("header.sign_out") }, [
        icon("signOut"),
        h("span", { class: "cs-tool-text", text: phrase("header.sign_out") }),
      ]),
      h("button", { type: "submit", name: "everywhere", value: "1", class: "cs-tool", "aria-label": phrase("header.sign_out_everywhere"), title: phrase("header.sign_out_everywhere_title") }, [
        icon("signOutAll"),
        h("span", { class: "cs-tool-text", text: phrase("header.everywhere") }),
      ]),
    ]);
    this.start = h("div", { class: "cs-header-start" });
    this.el = h("header", { class: "cs-header" }, [
      h("div", { class: "cs-header-inner" }, [this.start, this.heading, h("div", { class: "cs-tools" }, [this.copyAll, this.clear, colorSchemeToggle(), this.signOut])]),
    ]);
    this.set({ title, description });
  }

  /** Shows `title` and `description` (Markdown); either may be empty. */
  set({ title, description }) {
    title = typeof title === "string" ? title : "";
    description = typeof description === "string" ? description : "";
    if (title !== this.title) {
      this.title = title;
      this.titleEl = title ? h("h1", { class: "cs-title", text: title }) : null;
    }
    if (description !== this.description) {
      this.description = description;
      this.descriptionEl = description ? h("div", { class: "cs-description cs-md" }) : null;
      if (description) renderInto(this.descriptionEl, description);
    }
    syncChildren(this.heading, [this.titleEl, this.descriptionEl]);
    this.el.classList.toggle("cs-header-bare", !title && !description);
  }
}
