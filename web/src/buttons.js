// What the messages' buttons and avatars are made of (user-turn.js, turn.js).
import { copyText, flashCopied, h } from "./dom.js";
import { icon } from "./icons.js";
import { phrase } from "./texts.js";

/** A button showing only an icon; `name` (best a phrase) is its accessible name and tooltip. */
export function iconButton(name, iconName, onClick, className = "") {
  const el = h("button", { type: "button", class: `cs-icon-btn ${className}`, "aria-label": name, title: name }, [icon(iconName)]);
  el.addEventListener("click", onClick);
  return el;
}

/** A Copy button (named `name`): copies `text()` and shows a check (or a failure) for a moment. */
export function copyButton(text, name = phrase("messages.copy")) {
  const button = iconButton(name, "copy", async () => flashCopied(button, await copyText(text())), "cs-copy");
  button.append(icon("check"));
  return button;
}

/** The avatar of `role` ("user" or "bot"): the image at `src`, or an icon standing in where there is none. */
export function avatar(role, src) {
  return h("span", { class: `cs-avatar cs-avatar-${role}`, "aria-hidden": "true" }, [
    icon(role === "user" ? "user" : "bot"),
    h("img", { src, alt: "", hidden: !src, decoding: "async" }),
  ]);
}
