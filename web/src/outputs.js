// Additional outputs: labelled panels beside the chat (below it on narrow screens), empty until
// the chat function sends a value: markdown, code, json, html (sanitized) or an image.
import { copyText, flashCopied, h, sameJson, syncChildren } from "./dom.js";
import { renderFile } from "./files.js";
import { icon } from "./icons.js";
import { renderInto, sanitizeHtml } from "./markdown.js";
import english from "./texts/en.json?outputs" with { type: "json" };
import { addEnglish, phrase } from "./texts.js";

addEnglish(english);

let uid = 0;

function panel(spec) {
  const body = h("div", { class: "cs-panel-body" });
  // Named by its heading; the Copy button is described by it (labels stay short and distinct
  // from the inputs' labels).
  const titleId = `cs-output-${(uid += 1)}`;
  const copy = h("button", { type: "button", class: "cs-icon-btn cs-copy", "aria-label": phrase("outputs.copy"), "aria-describedby": titleId, title: phrase("outputs.copy"), hidden: true }, [
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
    result.value = value ?? null;
    const empty = value == null || value === "" || (spec.type === "image" && !(value && typeof value === "object"));
    el.classList.toggle("cs-panel-empty", empty);
    copy.hidden = true;
    body.className = "cs-panel-body";
    if (empty) {
      body.replaceChildren(h("p", { class: "cs-panel-placeholder", text: phrase("outputs.empty") }));
      return;
    }
    if (spec.type === "markdown") {
      body.classList.add("cs-md");
      renderInto(body, String(value));
    } else if (spec.type === "html") {
      body.classList.add("cs-md");
      body.replaceChildren(sanitizeHtml(value));
    } else if (spec.type === "image") {
      body.replaceChildren(renderFile(value, { kind: "image", alt: spec.label || "" }) || h("p", { class: "cs-panel-placeholder", text: phrase("outputs.image_error") }));
    } else {
      text = spec.type === "json" ? JSON.stringify(value, null, 2) : String(value);
      copy.hidden = false;
      body.replaceChildren(h("pre", { class: "cs-panel-pre" }, [h("code", { text })]));
    }
  };
  const result = { el, set, spec, value: null };
  set(null);
  return result;
}

export class Outputs {
  constructor(specs) {
    this.specs = [];
    this.panels = [];
    this.inner = h("div", { class: "cs-outputs-inner" });
    this.el = h("aside", { class: "cs-outputs", "aria-label": phrase("outputs.label") }, [this.inner]);
    this.configure(specs);
  }

  /**
   * Applies the config's `additional_outputs`; also on a live reload. A panel whose spec did not
   * change stays as it is; a new one with the same type and label shows the old one's value.
   */
  configure(specs) {
    const next = (Array.isArray(specs) ? specs : []).filter((spec) => spec && typeof spec.type === "string"); // the server checked the types
    const old = [...this.panels];
    const take = (match) => {
      const i = old.findIndex(match);
      return i === -1 ? null : old.splice(i, 1)[0];
    };
    const panels = next.map((spec) => take((p) => sameJson(p.spec, spec)));
    next.forEach((spec, i) => {
      if (panels[i]) return;
      panels[i] = panel(spec);
      const was = take((p) => p.spec.type === spec.type && p.spec.label === spec.label);
      if (was) panels[i].set(was.value);
    });
    this.specs = next;
    this.panels = panels;
    syncChildren(this.inner, panels.map((p) => p.el));
  }

  get length() {
    return this.panels.length;
  }

  /**
   * `event: outputs` / `done.outputs`: the current values, in order (an empty list changes
   * nothing). `specs` are the outputs the turn started with: after a live reload its values go to
   * the panels of the same type and label.
   */
  set(values, specs = this.specs) {
    if (!Array.isArray(values)) return;
    values.forEach((value, i) => {
      const spec = specs[i];
      const target = specs === this.specs ? this.panels[i] : spec && this.panels.find((p) => p.spec.type === spec.type && p.spec.label === spec.label);
      if (target) target.set(value);
    });
  }

  clear() {
    for (const p of this.panels) p.set(null);
  }
}
