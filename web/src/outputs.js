// Additional outputs: labelled panels beside the chat (below it on narrow screens), empty until
// the chat function sends a value: markdown, code, json, html (sanitized) or an image.
import { copyText, flashCopied, h } from "./dom.js";
import { renderFile } from "./files.js";
import { icon } from "./icons.js";
import { renderInto, sanitizeHtml } from "./markdown.js";

export const OUTPUT_TYPES = ["markdown", "code", "json", "html", "image"];

function panel(spec, i) {
  const body = h("div", { class: "cs-panel-body" });
  // Named by its heading; the Copy button is described by it (labels stay short and distinct
  // from the inputs' labels).
  const titleId = `cs-output-${i}`;
  const copy = h("button", { type: "button", class: "cs-icon-btn cs-copy", "aria-label": "Copy", "aria-describedby": titleId, title: "Copy", hidden: true }, [
    icon("copy"),
    icon("check"),
  ]);
  let text = "";
  copy.addEventListener("click", async () => flashCopied(copy, await copyText(text)));
  const meta = spec.type === "code" && spec.language ? h("span", { class: "cs-panel-lang", text: String(spec.language) }) : "";
  const el = h("section", { class: `cs-panel cs-panel-${spec.type}` }, [
    h("div", { class: "cs-panel-head" }, [h("h2", { class: "cs-panel-title", id: titleId, text: spec.label || spec.type }), meta, copy]),
    body,
  ]);
  let key;
  const set = (value) => {
    const next = JSON.stringify(value ?? null);
    if (next === key) return;
    key = next;
    const empty = value == null || value === "" || (spec.type === "image" && !(value && typeof value === "object"));
    el.classList.toggle("cs-panel-empty", empty);
    copy.hidden = true;
    body.className = "cs-panel-body";
    if (empty) {
      body.replaceChildren(h("p", { class: "cs-panel-placeholder", text: "No output yet" }));
      return;
    }
    if (spec.type === "markdown") {
      body.classList.add("cs-md");
      renderInto(body, String(value));
    } else if (spec.type === "html") {
      body.classList.add("cs-md");
      body.replaceChildren(sanitizeHtml(value));
    } else if (spec.type === "image") {
      body.replaceChildren(renderFile(value, { kind: "image", alt: spec.label || "" }) || h("p", { class: "cs-panel-placeholder", text: "This image cannot be shown." }));
    } else {
      text = spec.type === "json" ? JSON.stringify(value, null, 2) : String(value);
      copy.hidden = false;
      body.replaceChildren(h("pre", { class: "cs-panel-pre" }, [h("code", { text })]));
    }
  };
  set(null);
  return { el, set };
}

export class Outputs {
  constructor(specs) {
    this.specs = (Array.isArray(specs) ? specs : []).filter((spec) => spec && OUTPUT_TYPES.includes(spec.type));
    this.panels = this.specs.map(panel);
    this.el = h("aside", { class: "cs-outputs", "aria-label": "Outputs" }, [h("div", { class: "cs-outputs-inner" }, this.panels.map((p) => p.el))]);
  }

  get length() {
    return this.panels.length;
  }

  /** `event: outputs` / `done.outputs`: the current values, in order (an empty list changes nothing). */
  set(values) {
    if (!Array.isArray(values)) return;
    values.forEach((value, i) => this.panels[i] && this.panels[i].set(value));
  }

  clear() {
    for (const p of this.panels) p.set(null);
  }
}
