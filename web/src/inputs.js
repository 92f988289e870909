// Additional inputs: labelled controls for textbox, number, slider, checkbox, dropdown, radio,
// checkboxgroup, file and image, shown in an accordion under the chat ("accordion") or above it
// ("above"). Their values go with every turn, in declaration order.
import { h, syncChildren } from "./dom.js";
import { formatSize } from "./files.js";
import { icon } from "./icons.js";
import english from "./texts/en.json?inputs" with { type: "json" };
import { addEnglish, label, phrase, t } from "./texts.js";
import { Attachments } from "./uploads.js";

addEnglish(english);

let uid = 0;

/** Loose equality for choice values: the same JSON, or the same scalar text. */
export function same(a, b) {
  if (a === b) return true;
  if (a == null || b == null) return false;
  if (typeof a !== "object" && typeof b !== "object") return String(a) === String(b);
  return JSON.stringify(a) === JSON.stringify(b);
}

/** [[label, value], ...] (or plain values) -> [{label, value}]. */
export function choicesOf(spec) {
  return (Array.isArray(spec.choices) ? spec.choices : []).map((choice) =>
    Array.isArray(choice) ? { label: String(choice[0]), value: choice.length > 1 ? choice[1] : choice[0] } : { label: String(choice), value: choice },
  );
}

// A choice's value as option/input text (what a form would submit).
function valueText(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function num(value, fallback) {
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}

// A field: the label (with `extra` beside it, e.g. a slider's value), helper text, the control.
function field(spec, id, control, { group = false, extra = null } = {}) {
  const infoId = spec.info ? `${id}-info` : null;
  const text = h("span", { text: spec.label || "" });
  const label = group ? h("legend", { class: "cs-label" }, [text]) : h("label", { class: "cs-label", for: id }, [text]);
  const el = h(group ? "fieldset" : "div", { class: `cs-field cs-field-${spec.type}`, "aria-describedby": group ? infoId : null }, [
    extra ? h("div", { class: "cs-label-row" }, [label, extra]) : label,
    spec.info ? h("p", { class: "cs-info", id: infoId, text: typeof spec.info === "object" ? spec.info : String(spec.info) }) : "",
    control,
  ]);
  if (!group && infoId) el.querySelector(`#${id}`).setAttribute("aria-describedby", infoId);
  return el;
}

function textbox(spec, id) {
  const lines = Math.max(1, num(spec.lines, 1));
  const maxLines = Math.max(lines, num(spec.max_lines, lines));
  const multi = lines > 1 || maxLines > 1;
  const input = multi
    ? h("textarea", { id, class: "cs-control", rows: String(lines), placeholder: spec.placeholder || null })
    : h("input", { id, class: "cs-control", type: "text", placeholder: spec.placeholder || null });
  // Grows with its text from `lines` up to `max_lines`, then scrolls.
  const grow = () => {
    if (!multi || !input.getClientRects().length) return;
    const style = getComputedStyle(input);
    const line = parseFloat(style.lineHeight) || 20;
    input.style.height = "auto";
    const border = input.offsetHeight - input.clientHeight;
    const most = maxLines * line + parseFloat(style.paddingTop) + parseFloat(style.paddingBottom) + border;
    input.style.height = `${Math.min(input.scrollHeight + border, most)}px`;
  };
  input.addEventListener("input", grow);
  const set = (value) => {
    input.value = value == null ? "" : String(value);
    requestAnimationFrame(grow);
  };
  set(spec.value);
  return { el: field(spec, id, input), get: () => input.value, set };
}

function number(spec, id) {
  const input = h("input", {
    id,
    class: "cs-control",
    type: "number",
    inputmode: "decimal",
    min: spec.minimum ?? null,
    max: spec.maximum ?? null,
    step: spec.step ?? "any",
  });
  const set = (value) => {
    input.value = typeof value === "number" || (typeof value === "string" && value.trim() !== "") ? String(value) : "";
  };
  set(spec.value);
  return {
    el: field(spec, id, input),
    get: () => (input.value.trim() === "" || Number.isNaN(input.valueAsNumber) ? null : input.valueAsNumber),
    set,
  };
}

function slider(spec, id) {
  const min = num(spec.minimum, 0);
  const max = num(spec.maximum, 100);
  const input = h("input", { id, class: "cs-range", type: "range", min, max, step: spec.step ?? 1 });
  const out = h("output", { class: "cs-range-value", for: id });
  const show = () => {
    out.textContent = input.value;
    const span = max - min || 1;
    input.style.setProperty("--cs-fill", `${((Number(input.value) - min) / span) * 100}%`);
  };
  input.addEventListener("input", show);
  const set = (value) => {
    input.value = String(num(typeof value === "string" ? Number(value) : value, min));
    show();
  };
  set(spec.value);
  const row = h("div", { class: "cs-range-row" }, [
    h("span", { class: "cs-range-end", text: String(min), "aria-hidden": "true" }),
    input,
    h("span", { class: "cs-range-end", text: String(max), "aria-hidden": "true" }),
  ]);
  return { el: field(spec, id, row, { extra: out }), get: () => Number(input.value), set };
}

function checkbox(spec, id) {
  const input = h("input", { id, type: "checkbox", class: "cs-check" });
  const set = (value) => {
    input.checked = value === true || value === "true";
  };
  set(spec.value);
  const infoId = spec.info ? `${id}-info` : null;
  if (infoId) input.setAttribute("aria-describedby", infoId);
  const el = h("div", { class: "cs-field cs-field-checkbox" }, [
    h("label", { class: "cs-check-label", for: id }, [input, h("span", { class: "cs-label", text: spec.label || "" })]),
    spec.info ? h("p", { class: "cs-info", id: infoId, text: String(spec.info) }) : "",
  ]);
  return { el, get: () => input.checked, set };
}

function dropdown(spec, id) {
  const choices = choicesOf(spec);
  const multiple = spec.multiselect === true;
  const select = h("select", { id, class: "cs-control cs-select", multiple, size: multiple ? String(Math.min(Math.max(choices.length, 2), 6)) : null });
  const blank = h("option", { value: "", text: phrase("inputs.select") });
  if (!multiple) select.append(blank);
  const options = choices.map((choice) => h("option", { value: valueText(choice.value), text: choice.label }));
  select.append(...options);
  const set = (value) => {
    if (multiple) {
      const wanted = Array.isArray(value) ? value : value == null ? [] : [value];
      choices.forEach((choice, i) => {
        options[i].selected = wanted.some((v) => same(v, choice.value));
      });
      return;
    }
    const i = choices.findIndex((choice) => same(choice.value, value));
    if (i === -1) blank.selected = true;
    else options[i].selected = true;
    blank.hidden = i !== -1;
  };
  set(spec.value);
  select.addEventListener("change", () => {
    blank.hidden = !blank.selected;
  });
  const get = () => {
    const picked = choices.filter((choice, i) => options[i].selected).map((choice) => choice.value);
    return multiple ? picked : picked.length ? picked[0] : null;
  };
  // A list box picks several with Ctrl/Cmd; say so unless the config already explains the input.
  const described = multiple && !spec.info ? { ...spec, info: phrase("inputs.multiselect") } : spec;
  return { el: field(described, id, multiple ? select : h("div", { class: "cs-select-wrap" }, [select, icon("chevron")])), get, set };
}

// radio and checkboxgroup: a fieldset of labelled choices.
function choiceGroup(spec, id, type) {
  const choices = choicesOf(spec);
  const boxes = choices.map((choice, i) => h("input", { type, name: id, id: `${id}-${i}`, value: valueText(choice.value) }));
  const list = h("div", { class: "cs-choices" }, choices.map((choice, i) =>
    h("label", { class: "cs-choice", for: `${id}-${i}` }, [boxes[i], h("span", { text: choice.label })]),
  ));
  const set = (value) => {
    const wanted = type === "radio" ? [value] : Array.isArray(value) ? value : [];
    choices.forEach((choice, i) => {
      boxes[i].checked = wanted.some((v) => same(v, choice.value));
    });
  };
  set(spec.value);
  const get = () => {
    const picked = choices.filter((choice, i) => boxes[i].checked).map((choice) => choice.value);
    return type === "radio" ? (picked.length ? picked[0] : null) : picked;
  };
  return { el: field(spec, id, list, { group: true }), get, set };
}

// file and image: a drop zone (click, drop or paste) uploading to the input's own upload URL,
// the files shown as chips (images as thumbnails) with a remove button. Its value is the
// uploaded files' refs, {id} (a list of them with file_count: multiple).
function files(spec, id, index) {
  const multiple = spec.file_count === "multiple";
  const attachments = new Attachments({
    url: `api/upload?input=${index}`,
    fileTypes: spec.file_types,
    fileCount: spec.file_count,
    maxSize: spec.max_file_size,
    onChange: () => {
      zone.hidden = !multiple && attachments.items.length > 0;
      box.dispatchEvent(new Event("cs-uploads", { bubbles: true })); // the composer waits for uploads
    },
  });
  const kinds = [attachments.kinds, spec.max_file_size ? t("inputs.up_to", { size: formatSize(spec.max_file_size) }) : ""];
  const prompt = spec.type === "image" ? "inputs.drop_image" : multiple ? "inputs.drop_files" : "inputs.drop_file";
  const zone = h("button", { type: "button", id, class: "cs-dropzone" }, [
    icon("upload"),
    h("span", { class: "cs-dropzone-text", text: phrase(prompt) }),
    h("span", { class: "cs-dropzone-kinds", text: kinds.filter(Boolean).join(" \u00b7 ") }),
  ]);
  zone.addEventListener("click", () => attachments.picker.click());
  // Files dropped or pasted here are this input's, not the message's: they stop here.
  zone.addEventListener("dragover", (e) => {
    if (![...e.dataTransfer.types].includes("Files")) return;
    e.preventDefault();
    e.stopPropagation();
    zone.classList.add("cs-dropzone-over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("cs-dropzone-over"));
  zone.addEventListener("drop", (e) => {
    zone.classList.remove("cs-dropzone-over");
    if (!e.dataTransfer.files.length) return;
    e.preventDefault();
    e.stopPropagation();
    attachments.add(e.dataTransfer.files);
  });
  const box = h("div", { class: "cs-files" }, [zone, attachments.picker, attachments.list, attachments.errors]);
  box.addEventListener("paste", (e) => {
    if (!e.clipboardData || !e.clipboardData.files.length) return;
    e.preventDefault();
    attachments.add(e.clipboardData.files);
  });
  const get = () => {
    const refs = attachments.files.map((file) => ({ id: file.id }));
    return multiple ? refs : refs[0] || null;
  };
  const set = (value) => {
    const list = Array.isArray(value) ? value : value ? [value] : [];
    attachments.clear();
    attachments.restore(list.filter((f) => f && f.id != null).map((f) => ({ url: `api/files/${encodeURIComponent(f.id)}`, ...f })));
  };
  return { el: field(spec, id, box), get, set, uploading: () => attachments.uploading };
}

const BUILDERS = {
  textbox,
  number,
  slider,
  checkbox,
  dropdown,
  radio: (spec, id) => choiceGroup(spec, id, "radio"),
  checkboxgroup: (spec, id) => choiceGroup(spec, id, "checkbox"),
  file: files,
  image: files,
};

// An input's value as JSON text, to compare values.
const key = (value) => JSON.stringify(value ?? null);

export class Inputs {
  constructor(specs, accordion) {
    this.specs = [];
    this.controls = [];
    this.replaced = new Map();
    this.aboveFields = h("div", { class: "cs-fields" });
    this.belowFields = h("div", { class: "cs-fields" });
    this.label = h("span", { class: "cs-accordion-label" });
    this.aboveEl = h("section", { class: "cs-inputs cs-inputs-above" }, [this.aboveFields]);
    this.accordionEl = h("details", { class: "cs-inputs cs-accordion" }, [
      h("summary", {}, [icon("sliders"), this.label, icon("chevron")]),
      this.belowFields,
    ]);
    this.configure(specs, accordion);
  }

  /**
   * Applies the config's `additional_inputs` and `additional_inputs_accordion`; also on a live
   * reload. An input whose spec did not change keeps its control (value, focus and all); one whose
   * type and label did not change gets a new control that keeps the value the person set, when the
   * new spec allows it. `replaced` maps the old controls' elements to their successors.
   */
  configure(specs, accordion = {}) {
    const next = (Array.isArray(specs) ? specs : []).filter((spec) => spec && Object.hasOwn(BUILDERS, spec.type)); // the server checked the types
    const old = new Map(this.controls.map((control, i) => [control, this.specs[i]]));
    const take = (match) => {
      for (const [control, spec] of old) {
        if (match(spec)) {
          old.delete(control);
          return control;
        }
      }
      return null;
    };
    const controls = next.map((spec) => take((was) => key(was) === key(spec)));
    this.replaced = new Map();
    next.forEach((spec, i) => {
      if (controls[i]) return;
      const control = BUILDERS[spec.type](spec, `cs-input-${(uid += 1)}`, i);
      control.initial = key(control.get());
      const was = take((w) => w.type === spec.type && String(w.label) === String(spec.label));
      if (was) {
        this.replaced.set(was.el, control.el);
        const value = was.get();
        if (key(value) !== was.initial) {
          control.set(value);
          if (key(control.get()) !== key(value)) control.set(spec.value); // not possible any more
        }
      }
      controls[i] = control;
    });
    this.specs = next;
    this.controls = controls;
    const at = (above) => controls.filter((c, i) => (next[i].position === "above") === above).map((c) => c.el);
    syncChildren(this.aboveFields, at(true));
    syncChildren(this.belowFields, at(false));
    this.above = this.aboveFields.childElementCount ? this.aboveEl : null;
    this.accordion = this.belowFields.childElementCount ? this.accordionEl : null;
    label(this.label, "text", typeof accordion.label === "string" && accordion.label ? accordion.label : phrase("inputs.accordion"));
    // The person's open/closed choice stays unless the config's `open` changes.
    const open = accordion.open === true;
    if (open !== this.open) this.accordionEl.open = this.open = open;
  }

  get length() {
    return this.controls.length;
  }

  /** Whether a file input's upload is still on its way (its value would leave it out). */
  get uploading() {
    return this.controls.some((control) => control.uploading && control.uploading());
  }

  /** Every input's current value, in declaration order. */
  values() {
    return this.controls.map((control) => control.get());
  }

  /** Sets the inputs from a list of values (an example row); missing entries leave an input as is. */
  set(values) {
    if (!Array.isArray(values)) return;
    values.forEach((value, i) => {
      if (this.controls[i] && value !== undefined) this.controls[i].set(value);
    });
  }
}
