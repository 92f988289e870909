// Files attached to the next message: checked (type, size), uploaded at once to POST api/upload
// with progress, shown as removable chips. Files come from the attach button, drag-and-drop
// anywhere on the page, or paste.
import { signInIfSessionEnded } from "./api.js";
import { h } from "./dom.js";
import { fileName, formatSize, mediaKind, safeUrl } from "./files.js";
import { icon } from "./icons.js";
import english from "./texts/en.json?uploads" with { type: "json" };
import { addEnglish, phrase, t } from "./texts.js";

addEnglish(english);

const CATEGORIES = ["image", "audio", "video", "text"];

/** Gradio-style file_types ("image", ".pdf", "application/json") -> an <input accept> value. */
function acceptValue(types) {
  return types.map((t) => (CATEGORIES.includes(t) ? `${t}/*` : t)).join(",");
}

function accepted(file, types) {
  if (!types) return true;
  const name = file.name.toLowerCase();
  const mime = (file.type || "").toLowerCase();
  return types.some((type) => {
    const t = type.toLowerCase();
    if (t === "file" || t === "*" || t === "*/*") return true;
    if (t.startsWith(".")) return name.endsWith(t);
    if (t.endsWith("/*")) return mime.startsWith(t.slice(0, -1));
    return t.includes("/") ? mime === t : mime.startsWith(`${t}/`);
  });
}

function uploadError(xhr, name) {
  signInIfSessionEnded(xhr.status);
  try {
    const message = JSON.parse(xhr.responseText)?.error?.message;
    if (typeof message === "string" && message) return t("uploads.server_error", { name, message });
  } catch {
    // not our JSON error shape
  }
  if (xhr.status === 413) return t("uploads.too_large", { name });
  if (xhr.status === 415) return t("uploads.wrong_type", { name });
  if (!xhr.status) return t("uploads.unreachable", { name });
  return t("uploads.failed", { name, status: xhr.status });
}

export class Attachments {
  constructor({ onChange, ...settings }) {
    this.onChange = onChange;
    this.items = [];
    this.list = h("ul", { class: "cs-chips", "aria-label": phrase("uploads.attached"), hidden: true });
    this.errors = h("div", { class: "cs-upload-errors", role: "alert" });
    this.picker = h("input", { type: "file", hidden: true, tabindex: "-1" });
    this.picker.addEventListener("change", () => {
      this.add(this.picker.files);
      this.picker.value = "";
    });
    this.button = h("button", { type: "button", class: "cs-attach", "aria-label": phrase("uploads.attach"), title: phrase("uploads.attach") }, [icon("clip")]);
    this.button.addEventListener("click", () => this.picker.click());
    this.configure(settings);
  }

  /** The config's upload settings (again on a live reload; files already attached stay). */
  configure({ url = "api/upload", fileTypes = null, fileCount = "multiple", maxSize = null }) {
    this.url = url;
    this.types = Array.isArray(fileTypes) && fileTypes.length ? fileTypes.map(String) : null;
    this.single = fileCount === "single";
    this.maxSize = typeof maxSize === "number" && maxSize > 0 ? maxSize : null;
    this.picker.multiple = !this.single;
    if (this.types) this.picker.accept = acceptValue(this.types);
    else this.picker.removeAttribute("accept");
    if (this.single) for (const item of this.items.slice(1)) this.remove(item, false);
  }

  /** What the person may attach, for hints: "image, .pdf" or "". */
  get kinds() {
    return this.types ? this.types.join(", ") : "";
  }

  get uploading() {
    return this.items.some((item) => !item.data);
  }

  /** The uploaded files, as FileData. */
  get files() {
    return this.items.filter((item) => item.data).map((item) => item.data);
  }

  /** Checks and uploads files (a FileList or an array); refuses with a message what cannot go. */
  add(fileList) {
    let files = [...(fileList || [])];
    if (!files.length) return;
    const problems = [];
    files = files.filter((file) => {
      if (!accepted(file, this.types)) problems.push(t("uploads.not_accepted", { name: file.name, kinds: this.kinds }));
      else if (this.maxSize && file.size > this.maxSize) problems.push(t("uploads.over_limit", { name: file.name, size: formatSize(this.maxSize) }));
      else return true;
      return false;
    });
    if (this.single && files.length) {
      if (files.length > 1) problems.push(t("uploads.only_one"));
      files = files.slice(0, 1);
      for (const item of [...this.items]) this.remove(item, false);
    }
    this.showErrors(problems);
    for (const file of files) this.upload(file);
    this.changed();
  }

  // A chip for a file (uploading, or already uploaded), added to the list.
  chip(item, kind) {
    const { name } = item;
    const remove = h("button", { type: "button", class: "cs-chip-remove", "aria-label": phrase("uploads.remove", { name }), title: phrase("uploads.remove", { name }) }, [icon("x")]);
    remove.addEventListener("click", () => this.remove(item, true));
    item.thumb = h("span", { class: "cs-chip-thumb", "aria-hidden": "true" }, [icon({ audio: "music", video: "play" }[kind] || "file")]);
    item.meta = h("span", { class: "cs-chip-meta", text: t("uploads.uploading") });
    item.bar = h("span", { class: "cs-chip-bar", role: "progressbar", "aria-label": phrase("uploads.uploading_name", { name }), "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "0" }, [h("i")]);
    item.el = h("li", { class: "cs-chip cs-chip-busy" }, [
      item.thumb,
      h("span", { class: "cs-chip-text" }, [h("span", { class: "cs-chip-name", text: name, title: name }), item.meta]),
      remove,
      item.bar,
    ]);
    this.items.push(item);
    this.list.append(item.el);
  }

  /** Attaches files that are already on the server (FileData): Undo, or an example that only fills. */
  restore(files) {
    for (const data of Array.isArray(files) ? files : []) {
      if (!data || data.id == null || !safeUrl(data.url)) continue;
      if (this.single) for (const item of [...this.items]) this.remove(item, false);
      const item = { file: { type: data.mime_type, size: data.size }, name: fileName(data) };
      this.chip(item, mediaKind(data));
      this.uploaded(item, data);
    }
    this.changed();
  }

  upload(file) {
    const name = file.name || "file";
    const item = { file, name };
    this.chip(item, mediaKind({ mime_type: file.type, name }));

    const xhr = new XMLHttpRequest();
    item.xhr = xhr;
    xhr.open("POST", this.url);
    xhr.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      const percent = Math.round((e.loaded / e.total) * 100);
      item.bar.firstChild.style.width = `${percent}%`;
      item.bar.setAttribute("aria-valuenow", String(percent));
      item.meta.textContent = t("uploads.progress", { percent });
    });
    xhr.addEventListener("load", () => {
      let answer = null;
      try {
        answer = JSON.parse(xhr.responseText);
      } catch {
        answer = null;
      }
      const got = answer && Array.isArray(answer.files) ? answer.files[0] : null;
      if (xhr.status >= 200 && xhr.status < 300 && got && got.id != null) this.uploaded(item, got);
      else this.failed(item, uploadError(xhr, name));
    });
    xhr.addEventListener("error", () => this.failed(item, uploadError(xhr, name)));
    const form = new FormData();
    form.append("files", file, name);
    xhr.send(form);
  }

  uploaded(item, got) {
    const id = String(got.id);
    item.data = {
      id,
      url: typeof got.url === "string" && got.url ? got.url : `api/files/${encodeURIComponent(id)}`,
      name: typeof got.name === "string" && got.name ? got.name : item.name,
      mime_type: got.mime_type || item.file.type || "application/octet-stream",
      size: typeof got.size === "number" ? got.size : item.file.size,
    };
    item.xhr = null;
    item.el.classList.remove("cs-chip-busy");
    item.bar.remove();
    item.meta.textContent = formatSize(item.data.size) || fileName(item.data);
    const url = safeUrl(item.data.url);
    if (url && mediaKind(item.data) === "image") {
      item.el.classList.add("cs-chip-image");
      item.thumb.replaceChildren(h("img", { src: url, alt: "" }));
    }
    this.changed();
  }

  failed(item, message) {
    this.remove(item, false);
    this.showErrors([message], true);
  }

  /** Removes one file (aborting its upload); `focus` keeps the keyboard user's place. */
  remove(item, focus) {
    const i = this.items.indexOf(item);
    if (i === -1) return;
    if (item.xhr) item.xhr.abort();
    this.items.splice(i, 1);
    item.el.remove();
    if (focus) {
      const next = this.items[i] || this.items[i - 1];
      (next ? next.el.querySelector(".cs-chip-remove") : this.button).focus();
    }
    this.changed();
  }

  /** Forgets every file (after sending); uploaded ones stay on the server. */
  clear() {
    for (const item of this.items) if (item.xhr) item.xhr.abort();
    this.items = [];
    this.list.replaceChildren();
    this.showErrors([]);
    this.changed();
  }

  showErrors(messages, keep = false) {
    if (!keep) this.errors.replaceChildren();
    for (const text of messages) {
      this.errors.append(h("p", { class: "cs-upload-error" }, [icon("alert"), h("span", { text })]));
    }
  }

  changed() {
    this.list.hidden = !this.items.length;
    this.onChange();
  }
}

/**
 * Drag-and-drop anywhere on the page, with an overlay while files are dragged over it, for the
 * Attachments that `current()` returns (none when the chat is not multimodal: drops are ignored).
 */
export function dropZone(root, current) {
  const text = h("span");
  const overlay = h("div", { class: "cs-drop", hidden: true, "aria-hidden": "true" }, [
    h("div", { class: "cs-drop-box" }, [icon("upload"), h("strong", { text: phrase("uploads.drop") }), text]),
  ]);
  let depth = 0;
  const target = (e) => (e.dataTransfer && [...e.dataTransfer.types].includes("Files") ? current() : null);
  const hide = () => {
    depth = 0;
    overlay.hidden = true;
  };
  window.addEventListener("dragenter", (e) => {
    const attachments = target(e);
    if (!attachments) return;
    e.preventDefault();
    depth += 1;
    text.textContent = attachments.kinds ? t("uploads.accepted", { kinds: attachments.kinds }) : t(attachments.single ? "uploads.one_file" : "uploads.any_file");
    overlay.hidden = false;
  });
  window.addEventListener("dragover", (e) => {
    if (!target(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
  });
  window.addEventListener("dragleave", (e) => {
    if (!target(e)) return;
    depth -= 1;
    if (depth <= 0) hide();
  });
  window.addEventListener("drop", (e) => {
    const attachments = target(e);
    hide();
    if (!attachments) return;
    e.preventDefault();
    attachments.add(e.dataTransfer.files);
  });
  window.addEventListener("blur", hide);
  root.append(overlay);
}
