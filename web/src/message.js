// One assistant message on the page: Markdown text (a long streaming one in two parts, see
// stable-end.js), a thought's collapsible box, or a file or component. Rendering again changes
// only what differs, so a playing video or an open thought stays as it is.
import { h } from "./dom.js";
import { downloadButton, renderRich, unsupported } from "./files.js";
import { icon } from "./icons.js";
import { renderInline, renderMessageText } from "./markdown.js";
import { stableEnd } from "./stable-end.js";
import { t } from "./texts.js";
import { formatDuration, isThought } from "./thoughts.js";

// Streaming text longer than this renders only its last blocks on each frame.
const TAIL_FROM = 3000;

/** A message's place in its turn: `el` (avatar and content) for `message` number `index`. */
export function messageItem(index, avatar) {
  const content = h("div", { class: "cs-content" });
  const el = h("div", { class: "cs-msg cs-msg-assistant" }, [avatar, content]);
  return { message: { role: "assistant", content: "" }, el, content, index };
}

/**
 * Shows `item.message` in `item.el` (as plain message or thought) and sets `item.meta` (its
 * metadata); `item.children` is where nested messages go when it is a thought. `streaming`: the
 * message is growing, so long text is cut in two parts.
 */
export function renderMessage(item, streaming) {
  const { message, content } = item;
  const meta = message.metadata && typeof message.metadata === "object" ? message.metadata : {};
  item.meta = meta;
  const thought = isThought(meta);
  if (thought) renderThought(item, meta);
  else if (item.children || !item.body) {
    // A plain message (or one that stopped being a thought).
    item.children = null;
    item.details = null;
    item.body = h("div", { class: "cs-msg-body" });
    content.replaceChildren(item.body);
  }
  const rich = typeof message.content !== "string";
  content.classList.toggle("cs-content-bare", thought || rich);
  item.el.classList.toggle("cs-msg-rich", rich);
  fillBody(item, message.content, streaming);
}

// The collapsible "thought" box: title (Markdown), log and duration, spinner while pending.
function renderThought(item, meta) {
  if (!item.details) {
    item.title = h("span", { class: "cs-thought-title" });
    item.metaText = h("span", { class: "cs-thought-meta" });
    item.state = h("span", { class: "cs-sr" });
    item.body = h("div", { class: "cs-msg-body" });
    item.children = h("div", { class: "cs-thought-children" });
    const summary = h("summary", {}, [
      h("span", { class: "cs-thought-icon", "aria-hidden": "true" }, [h("span", { class: "cs-spinner" }), icon("chevron")]),
      item.title,
      item.state,
      item.metaText,
    ]);
    item.details = h("details", { class: "cs-thought" }, [summary, h("div", { class: "cs-thought-body" }, [item.body, item.children])]);
    // A click (or Enter/Space) on the summary is the reader's choice; it wins from then on.
    summary.addEventListener("click", () => {
      item.toggled = true;
    });
    item.content.replaceChildren(item.details);
  }
  const status = meta.status === "pending" || meta.status === "done" ? meta.status : null;
  item.details.classList.toggle("cs-thought-pending", status === "pending");
  if (!item.toggled) item.details.open = status !== "done";
  const key = String(meta.title);
  if (item.titleKey !== key) {
    item.titleKey = key;
    item.title.replaceChildren(renderInline(key));
  }
  item.state.textContent = status === "pending" ? ` ${t("messages.in_progress")}` : "";
  const log = typeof meta.log === "string" ? meta.log.trim() : "";
  item.metaText.replaceChildren(
    ...[log, formatDuration(meta.duration)].filter(Boolean).map((text) => h("span", { text })),
  );
}

function fillBody(item, content, streaming) {
  const { body } = item;
  if (typeof content === "string") {
    body.classList.add("cs-md");
    body.csKey = null;
    const cut = streaming && content.length > TAIL_FROM ? (item.scan = stableEnd(content, item.scan)).cut : 0;
    if (cut < 1000) {
      // Already showing exactly this (the last frame of a stream is often the final text).
      if (!item.tail && body.csText === content) return;
      item.tail = item.head = null;
      item.done = 0;
      body.replaceChildren(renderMessageText(content));
      body.csText = content;
      return;
    }
    body.csText = null;
    if (!item.tail || !body.contains(item.tail)) {
      item.head = h("div", { class: "cs-part" });
      item.tail = h("div", { class: "cs-part" });
      item.done = 0;
      body.replaceChildren(item.head, item.tail);
    }
    if (cut > item.done) {
      item.head.append(renderMessageText(content.slice(item.done, cut)));
      item.done = cut;
    }
    item.tail.replaceChildren(renderMessageText(content.slice(item.done)));
    return;
  }
  item.tail = null;
  body.csText = null;
  // Media must not be rebuilt on every tick (a playing video would restart): only on change.
  const key = JSON.stringify(content ?? null);
  if (body.csKey === key) return;
  body.csKey = key;
  body.classList.remove("cs-md");
  const shown = renderRich(content) || unsupported(content);
  const file = content && content.file;
  const kind = shown.classList.contains("cs-image") ? "image" : shown.classList.contains("cs-video") ? "video" : null;
  body.replaceChildren(kind && file ? h("div", { class: "cs-media-box" }, [shown, downloadButton(file)]) : shown);
}
