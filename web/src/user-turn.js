// A turn of the person in the message list: its files (as the server will see them), then its
// text in a bubble with Copy and Edit beside it (shown on hover or focus). Edit swaps the bubble
// for an inline editor: Enter or Save sends the new text, Escape or Cancel puts the bubble back.
import { copyButton, iconButton } from "./buttons.js";
import { h } from "./dom.js";
import { renderRich, unsupported } from "./files.js";
import { phrase } from "./texts.js";

/**
 * The element (the group) of a user turn made of `messages`. `avatar` is its avatar element,
 * `copied(text)` what Copy puts on the clipboard, and `save(group, text)` sends an edited text.
 */
export function userTurn(messages, { avatar, copied, save }) {
  const files = h("div", { class: "cs-user-files" });
  const body = h("div", { class: "cs-user-body" }, [h("span", { class: "cs-sr", text: phrase("messages.you_said") }), files]);
  const group = h("div", { class: "cs-msg cs-msg-user" }, [avatar, body]);
  let text = null;
  for (const message of messages) {
    if (typeof message.content === "string") {
      text = message.content;
      group.bubble = h("div", { class: "cs-bubble", text });
      body.append(group.bubble);
    } else files.append(h("div", { class: "cs-user-file" }, [renderRich(message.content) || unsupported(message.content)]));
  }
  if (!files.childElementCount) files.remove();
  if (text != null) {
    const copy = copyButton(() => copied(text));
    const edit = iconButton(phrase("messages.edit"), "edit", () => openEditor(group, text, save), "cs-edit");
    group.tools = h("div", { class: "cs-user-actions" }, [copy, edit]);
    // The buttons sit beside the bubble (shown on hover or focus).
    const row = h("div", { class: "cs-bubble-row" });
    group.bubble.replaceWith(row);
    row.append(group.tools, group.bubble);
  }
  return group;
}

// The inline editor of a user's text message: Save regenerates from there, Cancel puts it back.
function openEditor(group, text, save) {
  if (group.editor || !group.bubble) return;
  const area = h("textarea", { class: "cs-edit-input", "aria-label": phrase("messages.edit_message"), rows: "1" });
  area.value = text;
  const close = () => {
    group.editor.parentNode.classList.remove("cs-editing");
    group.editor.replaceWith(group.bubble);
    group.tools.hidden = false;
    group.editor = null;
    group.tools.querySelector(".cs-edit").focus();
  };
  const submit = () => {
    const value = area.value;
    if (!value.trim()) return;
    if (value === text) close();
    else save(group, value);
  };
  const grow = () => {
    area.style.height = "auto";
    area.style.height = `${area.scrollHeight + 2}px`;
  };
  area.addEventListener("input", grow);
  area.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    } else if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      close();
    }
  });
  const cancel = h("button", { type: "button", class: "cs-btn", text: phrase("messages.cancel") });
  cancel.addEventListener("click", close);
  const saveButton = h("button", { type: "button", class: "cs-btn cs-btn-primary", text: phrase("messages.save") });
  saveButton.addEventListener("click", submit);
  group.editor = h("div", { class: "cs-editor" }, [area, h("div", { class: "cs-editor-actions" }, [cancel, saveButton])]);
  group.bubble.replaceWith(group.editor);
  group.tools.hidden = true;
  group.editor.parentNode.classList.add("cs-editing");
  grow();
  area.focus();
  area.setSelectionRange(text.length, text.length);
}
