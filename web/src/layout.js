// The chat's shape from the config: its height (fixed, filling the window, or natural with the
// page scrolling), width, avatars, bubble or panel layout, grouping, downloads and direction.
import { safeUrl } from "./files.js";

// A CSS length from the config (`"400px"`, `"70vh"`, or a number of pixels), or null.
function cssLength(value) {
  if (typeof value === "number" && value > 0) return `${value}px`;
  if (typeof value === "string" && value.trim() && CSS.supports("height", value.trim())) return value.trim();
  return null;
}

/** Applies `config`'s layout to `root` (the app), `chat` (the conversation's box) and `list` (its MessageList). */
export function applyLayout(root, chat, list, config) {
  const chatbot = config.chatbot || {};
  const height = cssLength(chatbot.height);
  const natural = !height && config.fill_height === false;
  const style = root.style;
  for (const [name, value] of [["height", height], ["min", cssLength(chatbot.min_height)], ["max", cssLength(chatbot.max_height)]]) {
    if (value) style.setProperty(`--cs-chat-${name}`, value);
    else style.removeProperty(`--cs-chat-${name}`);
  }
  root.classList.toggle("cs-fixed-height", !!height);
  root.classList.toggle("cs-fill", !height && !natural);
  root.classList.toggle("cs-natural", natural);
  list.setScroller(natural && !cssLength(chatbot.max_height) && !root.classList.contains("cs-sized"));
  list.autoscroll = config.autoscroll !== false;
  root.classList.toggle("cs-wide", config.fill_width === true);
  const panel = chatbot.layout === "panel";
  root.classList.toggle("cs-panel-layout", panel);
  const avatars = Array.isArray(chatbot.avatar_images) ? chatbot.avatar_images : [];
  const sources = [safeUrl(avatars[0]), safeUrl(avatars[1])];
  list.setAvatars(...sources);
  ["user", "bot"].forEach((role, i) => {
    root.classList.toggle(`cs-av-${role}`, panel || !!sources[i]);
    root.classList.toggle(`cs-av-${role}-img`, !!sources[i]);
  });
  root.classList.toggle("cs-ungrouped", chatbot.group_consecutive_messages === false);
  root.classList.toggle("cs-no-downloads", chatbot.allow_file_downloads === false);
  chat.dir = chatbot.rtl === true ? "rtl" : "";
}
