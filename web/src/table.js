// Examples with additional inputs: a table under the chat, always visible; picking a row sets
// the inputs to its values and sends its message. Loaded with the inputs.
import { h } from "./dom.js";
import { fileBadge, title } from "./examples.js";
import { fileName, safeUrl } from "./files.js";
import { icon } from "./icons.js";
import { choicesOf, same } from "./inputs.js";
import english from "./texts/en.json?table" with { type: "json" };
import { addEnglish, phrase } from "./texts.js";

addEnglish(english);

// How an input's value reads in the table: choice labels, Yes/No, lists joined.
function display(spec, value) {
  if (value == null || value === "") return "\u2014";
  if (spec.type === "checkbox") return phrase(value ? "table.yes" : "table.no");
  const choices = choicesOf(spec);
  const label = (v) => {
    const choice = choices.find((c) => same(c.value, v));
    return choice ? choice.label : typeof v === "object" ? JSON.stringify(v) : String(v);
  };
  if (Array.isArray(value)) return value.length ? value.map(label).join(", ") : "\u2014";
  return label(value);
}

// A file or image input's value (FileData, or a list of them): each file's name, images with a
// thumbnail.
function filesCell(value) {
  const files = (Array.isArray(value) ? value : value ? [value] : []).filter((file) => file && safeUrl(file.url));
  if (!files.length) return "\u2014";
  return h("span", { class: "cs-xfiles" }, files.map((file) => {
    const image = String(file.mime_type || "").startsWith("image/");
    return h("span", { class: "cs-xfile" }, [image ? h("img", { src: safeUrl(file.url), alt: "" }) : icon("file"), h("span", { text: fileName(file) })]);
  }));
}

export class ExamplesTable {
  constructor({ examples, inputs, onPick }) {
    const head = h("tr", {}, [h("th", { scope: "col", text: phrase("table.message") }), ...inputs.map((spec) => h("th", { scope: "col", text: spec.label || spec.type }))]);
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
        ...inputs.map((spec, i) => {
          const value = example.inputs ? example.inputs[i] : undefined;
          if (spec.type === "file" || spec.type === "image") return h("td", {}, [filesCell(value)]);
          return h("td", { class: spec.type === "textbox" ? "cs-xtable-wrap" : null, text: display(spec, value) });
        }),
      ]);
      // The whole row is a target for the pointer; the button is the keyboard's way in.
      row.addEventListener("click", pick);
      body.append(row);
    }
    this.el = h("section", { class: "cs-xtable", "aria-labelledby": "cs-xtable-title" }, [
      h("h2", { class: "cs-xtable-title", id: "cs-xtable-title" }, [icon("send"), h("span", { text: phrase("examples.label") })]),
      h("div", { class: "cs-table cs-xtable-scroll" }, [h("table", {}, [h("thead", {}, [head]), body])]),
    ]);
  }
}
