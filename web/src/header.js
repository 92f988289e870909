// The header: the title (plain text), the description (sanitized Markdown), Clear and the
// colour-scheme toggle.
import { h } from "./dom.js";
import { icon } from "./icons.js";
import { renderInto } from "./markdown.js";
import { colorSchemeToggle } from "./theme.js";

export class Header {
  constructor({ title, description, onClear }) {
    const heading = h("div", { class: "cs-heading" });
    if (title) heading.append(h("h1", { class: "cs-title", text: title }));
    if (description) {
      const body = h("div", { class: "cs-description cs-md" });
      renderInto(body, description);
      heading.append(body);
    }
    this.clear = h("button", { type: "button", class: "cs-tool cs-clear", "aria-label": "Clear", title: "Clear the conversation", hidden: true }, [
      icon("clear"),
      h("span", { class: "cs-tool-text", text: "Clear" }),
    ]);
    this.clear.addEventListener("click", () => onClear());
    this.el = h("header", { class: `cs-header${title || description ? "" : " cs-header-bare"}` }, [
      h("div", { class: "cs-header-inner" }, [heading, h("div", { class: "cs-tools" }, [this.clear, colorSchemeToggle()])]),
    ]);
  }
}
