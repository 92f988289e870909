// The header: the title (plain text), the description (sanitized Markdown), Clear and the
// colour-scheme toggle. `set` changes the title and description in place (live reload).
import { h, syncChildren } from "./dom.js";
import { icon } from "./icons.js";
import { renderInto } from "./markdown.js";
import { colorSchemeToggle } from "./theme.js";

export class Header {
  constructor({ title, description, onClear }) {
    this.heading = h("div", { class: "cs-heading" });
    this.clear = h("button", { type: "button", class: "cs-tool cs-clear", "aria-label": "Clear", title: "Clear the conversation", hidden: true }, [
      icon("clear"),
      h("span", { class: "cs-tool-text", text: "Clear" }),
    ]);
    this.clear.addEventListener("click", () => onClear());
    this.el = h("header", { class: "cs-header" }, [
      h("div", { class: "cs-header-inner" }, [this.heading, h("div", { class: "cs-tools" }, [this.clear, colorSchemeToggle()])]),
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
