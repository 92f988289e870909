// The conversation as data: rounds (a user turn and the assistant's reply to it), the shape of
// the person's messages, and what the chat endpoint gets back as `history`. No DOM.

/** What the server gets as history: every user and assistant message, as shown and as received. */
export function forRequest(messages) {
  return messages.filter((m) => (m.role === "user" || m.role === "assistant") && m.content != null);
}

/** A user file message, in the shape the server gets back in `history`. */
export function fileMessage(file) {
  const { id = null, url, name, mime_type, size = null } = file;
  return { role: "user", content: { file: { id, url, name, mime_type, size } } };
}

/** The person's turn as it is kept and shown: one message per attached file, then the text, if any. */
export function userMessages(text, files) {
  const messages = files.map(fileMessage);
  if (text.trim()) messages.push({ role: "user", content: text });
  return messages;
}

/** The `message` of a chat request: the text, or `{text, files: [id, ...]}` when the chat is multimodal. */
export function chatMessage(text, files, multimodal) {
  if (!multimodal) return text;
  return { text: text.trim() ? text : "", files: files.map((f) => f.id).filter((id) => id != null) };
}

/** A user turn's text and files (FileData), to send it again or put it back in the composer. */
export function textAndFiles(messages) {
  const text = messages.filter((m) => typeof m.content === "string").map((m) => m.content).join("\n\n");
  const files = messages.filter((m) => m.content && typeof m.content === "object" && m.content.file).map((m) => m.content.file);
  return { text, files };
}

/** A saved conversation as rounds: each run of user messages and the assistant messages after it. */
export function toRounds(messages) {
  const rounds = [];
  for (const m of Array.isArray(messages) ? messages : []) {
    if (!m || (m.role !== "user" && m.role !== "assistant")) continue;
    let last = rounds[rounds.length - 1];
    if (!last || (m.role === "user" && last.assistant.length)) rounds.push((last = { user: [], assistant: [] }));
    last[m.role === "user" ? "user" : "assistant"].push(m);
  }
  return rounds;
}

/**
 * The conversation as the chat endpoint gets it (`history`), and where the reply of `round`
 * starts in it (`index`; -1 when `round` is not one of `rounds`).
 */
export function requestHistory(rounds, round = null) {
  const history = [];
  let index = -1;
  for (const each of rounds) {
    history.push(...forRequest(each.user));
    if (each === round) index = history.length;
    history.push(...forRequest(each.assistant));
  }
  return { history, index };
}

/** The text a message contributes to a copy: its text, or a file's name, or the component's kind. */
export function messageText(message) {
  const content = message && message.content;
  if (typeof content === "string") return content;
  if (content && content.file) return `[${content.file.name || content.file.url || "file"}]`;
  return content && content.component ? `[${content.component}]` : "";
}

/** Messages as `role: content` blocks (Copy conversation). */
export function transcript(messages) {
  return messages.map((m) => `${m.role}: ${messageText(m)}`).join("\n\n");
}
