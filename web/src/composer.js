// The composer: an auto-growing message box (from `lines` up to `max_lines` rows, with a counter
// near `max_length`) with a Send button that becomes Stop while a reply streams. Enter sends,
// Shift+Enter starts a new line. With `attachments` (multimodal chats) it also has an attach
// button and the chips of attached files.
import { h, syncChildren } from "./dom.js";
import { icon } from "./icons.js";
import { label, onTexts, phrase, t } from "./texts.js";

// `setting` is the config value: true = icon button (named by the phrase `name`), a string =
// text button, false = none.
function actionButton(setting, name, iconName, className) {
  const text = typeof setting === "string" && setting.trim() ? setting.trim() : null;
  const button = h(
    "button",
    { type: "button", class: `cs-action ${className}${text ? " cs-action-text" : ""}`, "aria-label": text ? null : name, title: text ? null : name },
    [text ? h("span", { text }) : icon(iconName)],
  );
  button.csTitle = text ? "" : name; // its title when it does not say "waiting for the upload"
  button.hidden = setting === false;
  button.dataset.enabled = setting === false ? "false" : "true";
  return button;
}

export class Composer {
  constructor({ onSend, onStop, ...settings }) {
    this.busy = false;
    this.attachments = null;
    this.onSend = onSend;
    this.onStop = onStop;
    this.input = h("textarea", { class: "cs-input", rows: "1", "aria-label": phrase("composer.message"), enterkeyhint: "send" });
    this.input.addEventListener("keydown", (e) => this.keydown(e));
    this.input.addEventListener("input", () => this.refresh());
    // Pasted files are attached (multimodal chats); pasted text still lands in the box.
    this.input.addEventListener("paste", (e) => {
      const files = this.attachments && e.clipboardData ? [...e.clipboardData.files] : [];
      if (!files.length) return;
      if (!e.clipboardData.types.includes("text/plain")) e.preventDefault();
      this.attachments.add(files);
    });
    this.counter = h("span", { class: "cs-counter", id: "cs-counter", hidden: true });
    this.actions = h("div", { class: "cs-composer-actions" });
    this.form = h("form", { class: "cs-composer", novalidate: true });
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    this.form.addEventListener("click", (e) => {
      if (e.target === this.form) this.input.focus();
    });
    // "{enter} to send, {shift} + {enter} for a new line": the keys as <kbd>, in the language's order.
    this.hint = h("p", { class: "cs-hint", "aria-hidden": "true" });
    const hint = () =>
      this.hint.replaceChildren(...t("composer.hint").split(/\{(enter|shift)\}/).map((part, i) => (i % 2 ? h("kbd", { text: t(`composer.${part}`) }) : part)));
    hint();
    onTexts(hint);
    this.inner = h("div", { class: "cs-footer-inner" });
    this.el = h("div", { class: "cs-footer" }, [this.inner]);
    this.configure(settings);
  }

  /**
   * Applies the config's settings; also on a live reload, where the text being typed, the focus and
   * a running reply's Stop button stay as they are. `attachments` (multimodal chats) adds the attach
   * button and the chips of attached files.
   */
  configure({ placeholder, submitBtn = true, stopBtn = true, attachments = null, lines = 1, maxLines = 20, maxLength = null }) {
    label(this.input, "placeholder", placeholder || phrase("composer.placeholder"));
    lines = Number.isInteger(lines) && lines > 0 ? lines : 1;
    this.input.rows = lines;
    this.input.style.setProperty("--cs-lines", lines);
    this.input.style.setProperty("--cs-max-lines", Math.max(lines, Number.isInteger(maxLines) && maxLines > 0 ? maxLines : 20));
    this.maxLength = Number.isInteger(maxLength) && maxLength > 0 ? maxLength : null;
    if (this.maxLength) this.input.maxLength = this.maxLength;
    else this.input.removeAttribute("maxlength");
    const buttons = JSON.stringify([submitBtn, stopBtn]);
    const hadFocus = !!this.send && (document.activeElement === this.send || document.activeElement === this.stop);
    if (buttons !== this.buttons) {
      this.buttons = buttons;
      this.send = actionButton(submitBtn, phrase("composer.send"), "send", "cs-send");
      this.stop = actionButton(stopBtn, phrase("composer.stop"), "stop", "cs-stop");
      this.send.addEventListener("click", () => this.submit());
      this.stop.addEventListener("click", () => this.onStop());
      syncChildren(this.actions, [this.stop, this.send]);
    }
    this.attachments = attachments;
    this.form.classList.toggle("cs-composer-files", !!attachments);
    syncChildren(this.form, [...(attachments ? [attachments.list, attachments.button, attachments.picker] : []), this.input, this.counter, this.actions]);
    syncChildren(this.inner, [this.form, attachments && attachments.errors, this.hint]);
    this.setBusy(this.busy);
    if (hadFocus && !this.actions.contains(document.activeElement)) {
      const visible = [this.stop, this.send].find((b) => !b.hidden && !b.disabled);
      (visible || this.input).focus();
    }
  }

  keydown(e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      this.submit();
    }
  }

  /** Whether Escape (anywhere on the page) may stop a streaming reply. */
  get canStop() {
    return this.busy && this.stop.dataset.enabled === "true";
  }

  get ready() {
    const files = this.attachments ? this.attachments.items.length : 0;
    const length = this.input.value.length;
    return !this.busy && !(this.attachments && this.attachments.uploading) && !(this.waiting && this.waiting()) && (!!this.input.value.trim() || files > 0) && !(this.maxLength && length > this.maxLength);
  }

  /** Puts text (and files, multimodal) back in the composer: Undo, or an example that only fills. */
  fill(text, files = []) {
    this.input.value = text;
    if (this.attachments) {
      this.attachments.clear();
      this.attachments.restore(files);
    }
    this.refresh();
    this.input.focus();
    this.input.setSelectionRange(text.length, text.length);
  }

  submit() {
    if (!this.ready) return;
    const text = this.input.value;
    const files = this.attachments ? this.attachments.files : [];
    this.input.value = "";
    if (this.attachments) this.attachments.clear();
    this.refresh();
    this.onSend({ text, files });
  }

  /** Switches between Send (idle) and Stop (a reply is streaming). */
  setBusy(busy) {
    this.busy = busy;
    const canStop = this.stop.dataset.enabled === "true";
    const hadFocus = document.activeElement === this.send || document.activeElement === this.stop;
    this.form.classList.toggle("cs-busy", busy);
    this.stop.hidden = !busy || !canStop;
    this.send.hidden = this.send.dataset.enabled !== "true" || (busy && canStop);
    this.refresh();
    // The button that had focus may just have been hidden: keep focus nearby, not on <body>.
    if (hadFocus) (busy && canStop ? this.stop : this.input).focus();
  }

  refresh() {
    this.send.disabled = !this.ready;
    // The counter shows once the text passes 80% of max_length.
    const length = this.input.value.length;
    const near = !!this.maxLength && length >= this.maxLength * 0.8;
    this.counter.hidden = !near;
    this.counter.textContent = near ? `${length}/${this.maxLength}` : "";
    this.counter.classList.toggle("cs-counter-full", near && length >= this.maxLength);
    if (near) this.input.setAttribute("aria-describedby", "cs-counter");
    else this.input.removeAttribute("aria-describedby");
    if (this.attachments) label(this.send, "title", this.attachments.uploading ? phrase("composer.waiting_for_upload") : this.send.csTitle);
    // Grow with the text up to the CSS max-height, then scroll inside.
    if (!this.input.isConnected) return;
    this.input.style.height = "auto";
    this.input.style.height = `${this.input.scrollHeight}px`;
  }

  focus() {
    this.input.focus();
  }
}
