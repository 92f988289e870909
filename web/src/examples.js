// Examples. Without additional inputs: the empty state (placeholder and example cards, which
// disappear once the conversation has messages). With additional inputs: a table under the chat,
// always visible; picking a row sets the inputs and sends its message.
import { h } from "./dom.js";
import { fileName, mediaKind, safeUrl } from "./files.js";
import { icon } from "./icons.js";
import { choicesOf, same } from "./inputs.js";
import { renderInto } from "./markdown.js";

/** The config's examples (strings, {text, files, inputs}, or rows) as {text, files, inputs}. */
export function normalizeExamples(examples) {
  const out = [];
  for (const example of Array.isArray(examples) ? examples : []) {
    let text = "";
    let files = [];
    let inputs = null;
    if (typeof example === "string") text = example;
    else if (Array.isArray(example)) {
      text = typeof example[0] === "string" ? example[0] : "";
      inputs = example.slice(1);
    } else if (example && typeof example === "object") {
      text = typeof example.text === "string" ? example.text : "";
      files = Array.isArray(example.files) ? example.files.filter((f) => f && typeof f === "object" && safeUrl(f.url)) : [];
      inputs = Array.isArray(example.inputs) ? example.inputs : null;
    }
    if (text.trim() || files.length) out.push({ text, files, inputs });
  }
  return out;
}

// The example's text, or its files' names when it has no text.
function title(example) {
  return example.text.trim() ? example.text : example.files.map(fileName).join(", ");
}

// "2 files" with a paperclip, and the first image as a thumbnail.
function fileBadge(files) {
  if (!files.length) return "";
  return h("span", { class: "cs-files-badge" }, [icon("clip"), h("span", { text: files.length === 1 ? "1 file" : `${files.length} files` })]);
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
      const list = h("ul", { class: "cs-examples", "aria-label": "Examples" });
      for (const example of examples) {
        const button = h("button", { type: "button", class: "cs-example" }, [
          thumbnail(example.files),
          h("span", { class: "cs-example-text" }, [h("span", { text: title(example) }), fileBadge(example.files)]),
          icon("send"),
        ]);
        button.addEventListener("click", (event) => onPick(example, event));
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

// How an input's value reads in the table: choice labels, Yes/No, lists joined.
function display(spec, value) {
  if (value == null || value === "") return "\u2014";
  if (spec.type === "checkbox") return value ? "Yes" : "No";
  const choices = choicesOf(spec);
  const label = (v) => {
    const choice = choices.find((c) => same(c.value, v));
    return choice ? choice.label : typeof v === "object" ? JSON.stringify(v) : String(v);
  };
  if (Array.isArray(value)) return value.length ? value.map(label).join(", ") : "\u2014";
  return label(value);
}

export class ExamplesTable {
  constructor({ examples, inputs, onPick }) {
    const head = h("tr", {}, [h("th", { scope: "col", text: "Message" }), ...inputs.map((spec) => h("th", { scope: "col", text: spec.label || spec.type }))]);
    const body = h("tbody");
    for (const example of examples) {
      const pick = (event) => onPick(example, event);
      const button = h("button", { type: "button", class: "cs-xrow" }, [h("span", { text: title(example) }), fileBadge(example.files)]);
      button.addEventListener("click", (event) => {
        event.stopPropagation();
        pick(event);
      });
      const row = h("tr", {}, [
        h("td", {}, [button]),
        ...inputs.map((spec, i) =>
          h("td", { class: spec.type === "textbox" ? "cs-xtable-wrap" : null, text: display(spec, example.inputs ? example.inputs[i] : undefined) }),
        ),
      ]);
      // The whole row is a target for the pointer; the button is the keyboard's way in.
      row.addEventListener("click", pick);
      body.append(row);
    }
    this.el = h("section", { class: "cs-xtable", "aria-labelledby": "cs-xtable-title" }, [
      h("h2", { class: "cs-xtable-title", id: "cs-xtable-title" }, [icon("send"), h("span", { text: "Examples" })]),
      h("div", { class: "cs-table cs-xtable-scroll" }, [h("table", {}, [h("thead", {}, [head]), body])]),
    ]);
  }
}
