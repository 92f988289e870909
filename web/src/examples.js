// The empty state: the chatbot placeholder (sanitized Markdown/HTML) and the example prompts.
// Clicking an example sends it. Both disappear once the conversation has messages.
import { h } from "./dom.js";
import { icon } from "./icons.js";
import { renderInto } from "./markdown.js";

function exampleText(example) {
  if (typeof example === "string") return example;
  if (example && typeof example === "object" && typeof example.text === "string") return example.text;
  if (Array.isArray(example) && typeof example[0] === "string") return example[0];
  return "";
}

export class EmptyState {
  constructor({ placeholder, examples = [], onPick }) {
    const children = [];
    if (placeholder) {
      const body = h("div", { class: "cs-placeholder cs-md" });
      renderInto(body, placeholder);
      children.push(body);
    }
    const texts = (Array.isArray(examples) ? examples : []).map(exampleText).filter((t) => t.trim());
    if (texts.length) {
      const list = h("ul", { class: "cs-examples", "aria-label": "Examples" });
      for (const text of texts) {
        const button = h("button", { type: "button", class: "cs-example" }, [
          h("span", { class: "cs-example-text", text }),
          icon("send"),
        ]);
        button.addEventListener("click", (event) => onPick(text, event));
        list.append(h("li", {}, [button]));
      }
      children.push(list);
    }
    this.el = h("section", { class: "cs-empty", "aria-label": "Start a conversation" }, [
      h("div", { class: "cs-empty-inner" }, children),
    ]);
    this.hasContent = children.length > 0;
  }

  show(visible) {
    this.el.hidden = !visible || !this.hasContent;
  }
}
