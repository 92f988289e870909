// Examples. Without additional inputs: the empty state (placeholder and example cards, which
// disappear once the conversation has messages). With additional inputs: a table under the chat
// (table.js, loaded with the inputs).
import { h } from "./dom.js";
import { fileName, mediaKind, safeUrl } from "./files.js";
import { icon } from "./icons.js";
import { renderInto } from "./markdown.js";
import { phrase } from "./texts.js";

/** The config's examples (strings, {text, files, inputs, label, icon}, or rows) as {text, files, inputs, label, icon}. */
export function normalizeExamples(examples) {
  const out = [];
  for (const example of Array.isArray(examples) ? examples : []) {
    let text = "";
    let files = [];
    let inputs = null;
    let label = null;
    let iconUrl = null;
    if (typeof example === "string") text = example;
    else if (Array.isArray(example)) {
      text = typeof example[0] === "string" ? example[0] : "";
      inputs = example.slice(1);
    } else if (example && typeof example === "object") {
      text = typeof example.text === "string" ? example.text : "";
      files = Array.isArray(example.files) ? example.files.filter((f) => f && typeof f === "object" && safeUrl(f.url)) : [];
      inputs = Array.isArray(example.inputs) ? example.inputs : null;
      label = typeof example.label === "string" && example.label.trim() ? example.label : null;
      iconUrl = safeUrl(example.icon);
    }
    if (text.trim() || files.length) out.push({ text, files, inputs, label, icon: iconUrl });
  }
  return out;
}

// The example's label, else its text, else its files' names.
export function title(example) {
  if (example.label) return example.label;
  return example.text.trim() ? example.text : example.files.map(fileName).join(", ");
}

// The example's files as small chips (three at most, then "+N").
function fileChips(files) {
  if (!files.length) return "";
  const shown = files.slice(0, files.length > 3 ? 2 : 3).map((f) => h("span", { class: "cs-example-chip" }, [icon("clip"), h("span", { text: fileName(f) })]));
  if (files.length > 3) shown.push(h("span", { class: "cs-example-chip", text: `+${files.length - 2}` }));
  return h("span", { class: "cs-example-chips" }, shown);
}

// "2 files" with a paperclip, and the first image as a thumbnail.
export function fileBadge(files) {
  if (!files.length) return "";
  return h("span", { class: "cs-files-badge" }, [icon("clip"), h("span", { text: phrase("files.count", { count: files.length }) })]);
}

function thumbnail(files) {
  const first = files.find((f) => mediaKind(f) === "image");
  const url = first && safeUrl(first.url);
  return url ? h("img", { class: "cs-example-thumb", src: url, alt: "", loading: "lazy" }) : "";
}

export class EmptyState {
  constructor({ placeholder, examples = [], onPick }) {
    const children = [];
    if (placeholder) {
      const body = h("div", { class: "cs-placeholder cs-md" });
      renderInto(body, placeholder);
      children.push(body);
    }
    if (examples.length) {
      const list = h("ul", { class: "cs-examples", "aria-label": phrase("examples.label") });
      for (const example of examples) {
        const button = h("button", { type: "button", class: "cs-example" }, [
          example.icon ? h("img", { class: "cs-example-icon", src: example.icon, alt: "", loading: "lazy" }) : thumbnail(example.files),
          h("span", { class: "cs-example-text" }, [h("span", { text: title(example) }), fileChips(example.files)]),
          icon("send"),
        ]);
        button.addEventListener("click", (event) => onPick(example, event));
        list.append(h("li", {}, [button]));
      }
      children.push(list);
    }
    this.el = h("section", { class: "cs-empty", "aria-label": phrase("examples.start") }, [
      h("div", { class: "cs-empty-inner" }, children),
    ]);
    this.hasContent = children.length > 0;
  }

  show(visible) {
    this.el.hidden = !visible || !this.hasContent;
  }
}
