// Assembles the page and runs the conversation: keeps the history client-side, streams each
// turn from the chat endpoint, and appends the turn's final messages when it is done. A new
// config (live reload) is applied in place.
import { ChatError, streamChat } from "./api.js";
import { Composer } from "./composer.js";
import { focusVisible, h, syncChildren } from "./dom.js";
import { EmptyState, ExamplesTable, normalizeExamples } from "./examples.js";
import { Header } from "./header.js";
import { Inputs } from "./inputs.js";
import { MessageList } from "./messages.js";
import { Outputs } from "./outputs.js";
import { THEMES } from "./theme.js";
import { Attachments, dropZone } from "./uploads.js";

// A CSS length from the config (`"400px"`, `"70vh"`, or a number of pixels), or null.
function cssHeight(value) {
  if (typeof value === "number" && value > 0) return `${value}px`;
  if (typeof value === "string" && value.trim() && CSS.supports("height", value.trim())) return value.trim();
  return null;
}

// What the server gets as history: every user and assistant message, as shown and as received.
function historyForRequest(history) {
  return history.filter((m) => (m.role === "user" || m.role === "assistant") && m.content != null);
}

// A user file message, in the shape the server gets back in `history`.
function fileMessage(file) {
  const { id = null, url, name, mime_type, size = null } = file;
  return { role: "user", content: { file: { id, url, name, mime_type, size } } };
}

/**
 * Builds the chat in `root` from `initial` (the public config). Returns `apply(config)`, which
 * applies a new config in place (live reload): the conversation, a reply that is streaming, what
 * is being typed and the inputs' values stay; the next turn uses the new config.
 */
export function mountChat(root, initial) {
  const history = [];
  let busy = false;
  let controller = null;
  let generation = 0; // bumped by Clear, so a turn that ends afterwards is dropped
  let url = "api/chat";
  let multimodal = false;
  let attachments = null;
  let table = null;
  let empty = null;
  let shownExamples = null;

  const header = new Header({ onClear: clear });
  const inputs = new Inputs();
  const outputs = new Outputs();
  const list = new MessageList();
  const composer = new Composer({ onSend: send, onStop: stop });
  const chat = h("main", { class: "cs-chat" });
  const below = h("div", { class: "cs-below" });
  const main = h("div", { class: "cs-main" });
  const columns = h("div", { class: "cs-columns" }, [main]);
  root.classList.add("cs-app");
  root.replaceChildren(header.el, columns);
  dropZone(root, () => attachments);
  window.addEventListener("resize", () => composer.refresh());
  apply(initial);
  if (initial && initial.autofocus) composer.focus();
  return { apply, focus: () => composer.focus() };

  function apply(config) {
    config = config && typeof config === "object" ? config : {};
    const chatbot = config.chatbot || {};
    const textbox = config.textbox || {};
    const api = config.api || {};
    const active = document.activeElement;
    const keyboard = focusVisible(active);

    const html = document.documentElement;
    html.dataset.theme = THEMES.includes(config.theme) ? config.theme : THEMES.includes(html.dataset.theme) ? html.dataset.theme : "default";
    document.title = config.title || "chatserve";
    header.set({ title: config.title, description: config.description });

    const height = cssHeight(chatbot.height);
    list.el.style.height = height || "";
    list.autoscroll = config.autoscroll !== false;
    root.classList.toggle("cs-fixed-height", !!height);
    root.classList.toggle("cs-fill", !height);

    url = api.chat || "api/chat";
    multimodal = config.multimodal === true;
    const uploads = { url: api.upload || "api/upload", fileTypes: textbox.file_types, fileCount: textbox.file_count, maxSize: textbox.max_file_size };
    if (multimodal && attachments) attachments.configure(uploads);
    else if (multimodal) attachments = new Attachments({ ...uploads, onChange: () => composer.refresh() });
    else if (attachments) {
      attachments.clear();
      attachments = null;
    }
    composer.configure({ placeholder: textbox.placeholder, submitBtn: config.submit_btn ?? true, stopBtn: config.stop_btn ?? true, attachments });
    inputs.configure(config.additional_inputs, config.additional_inputs_accordion || {});
    outputs.configure(config.additional_outputs);

    // Cards in the empty chat, or a table under it when there are additional inputs.
    const examples = normalizeExamples(config.examples);
    const shown = JSON.stringify([examples, inputs.specs, chatbot.placeholder ?? null]);
    if (shown !== shownExamples) {
      shownExamples = shown;
      table = inputs.length && examples.length ? new ExamplesTable({ examples, inputs: inputs.specs, onPick: pickExample }) : null;
      empty = new EmptyState({ placeholder: chatbot.placeholder, examples: table ? [] : examples, onPick: pickExample });
    }

    // Only what changed moves: the conversation's element stays put (and keeps its scroll position).
    syncChildren(chat, [list.el, empty.el, list.jump]);
    syncChildren(below, [inputs.accordion, table && table.el]);
    syncChildren(main, [inputs.above, chat, composer.el, (inputs.accordion || table) && below]);
    syncChildren(columns, [main, outputs.length && outputs.el]);
    root.classList.toggle("cs-flow", !!(inputs.above || inputs.accordion || table));
    root.classList.toggle("cs-with-outputs", outputs.length > 0);
    update();
    composer.refresh();

    // Focus was on something that is gone: its successor (an input rebuilt for its new spec, with
    // the caret where it was), else the message box for keyboard users.
    if (active && active !== document.body && !active.isConnected) {
      const successor = [...inputs.replaced].find(([was]) => was.contains(active));
      const target = successor && successor[1].querySelector("input, textarea, select");
      if (target) {
        target.focus({ preventScroll: true });
        try {
          if (typeof active.selectionStart === "number") target.setSelectionRange(active.selectionStart, active.selectionEnd);
        } catch {
          // not a text field
        }
      } else if (keyboard) composer.focus();
    }
  }

  function update() {
    const hasMessages = !list.isEmpty;
    empty.show(!hasMessages);
    header.clear.hidden = !hasMessages;
    list.el.tabIndex = hasMessages ? 0 : -1; // keyboard scrolling, once there is something to scroll
    root.classList.toggle("cs-has-messages", hasMessages);
  }

  function setBusy(value) {
    busy = value;
    root.classList.toggle("cs-busy", value);
    list.setBusy(value);
    composer.setBusy(value);
  }

  // An example card or table row: set the inputs to its values, then send its message.
  function pickExample(example, event) {
    if (busy) return;
    inputs.set(example.inputs);
    send({ text: example.text, files: multimodal ? example.files : [] });
    // Keyboard users keep their place; on touch screens the keyboard would hide the reply.
    if (!table && (event.detail === 0 || window.matchMedia("(pointer: fine)").matches)) composer.focus();
  }

  async function send({ text = "", files = [] }) {
    if (busy || (!text.trim() && !files.length)) return;
    const sentHistory = historyForRequest(history);
    const turnGeneration = generation;
    const userMessages = files.map(fileMessage);
    if (text.trim()) userMessages.push({ role: "user", content: text });
    const message = multimodal
      ? { text: text.trim() ? text : "", files: files.map((f) => f.id).filter((id) => id != null) }
      : text;
    list.clearOptions();
    list.addUser(userMessages);
    history.push(...userMessages);
    update();
    const turn = list.startTurn();
    const turnOutputs = outputs.specs; // after a live reload, its values go to the matching panels
    const ctrl = new AbortController();
    controller = ctrl;
    setBusy(true);

    let final = null;
    let failed = false;
    try {
      await streamChat(url, { message, history: sentHistory, inputs: inputs.values() }, {
        signal: ctrl.signal,
        onEvent(name, data) {
          if (turnGeneration !== generation) return;
          const index = Number.isInteger(data && data.index) ? data.index : 0;
          if ((name === "message" || name === "replace") && data && data.message) turn.message(index, data.message);
          else if (name === "delta" && data && typeof data.text === "string") turn.delta(index, data.text);
          else if (name === "queue" && data) turn.queue(data.position);
          else if (name === "outputs") outputs.set(data, turnOutputs);
          else if (name === "error") {
            failed = true;
            turn.error((data && typeof data.message === "string" && data.message) || "Something went wrong.");
          } else if (name === "done") {
            final = data && Array.isArray(data.messages) ? data.messages : [];
            if (data) outputs.set(data.outputs, turnOutputs);
          }
        },
      });
      if (!final && !failed) turn.error("The reply ended before it was complete.");
    } catch (err) {
      if (!ctrl.signal.aborted) {
        turn.error(err instanceof ChatError ? err.message : "Something went wrong.");
        console.error(err);
      }
    }
    if (turnGeneration !== generation) return; // cleared while streaming
    const messages = turn.finish(final, { stopped: ctrl.signal.aborted && !final });
    history.push(...messages);
    controller = null;
    setBusy(false);
    const last = [...messages].reverse().find((m) => Array.isArray(m.options) && m.options.length);
    if (last) list.showOptions(turn, last.options, (value) => send({ text: value }));
  }

  function stop() {
    if (controller) controller.abort();
  }

  function clear() {
    generation += 1;
    stop();
    controller = null;
    history.length = 0;
    list.clear();
    outputs.clear();
    setBusy(false);
    update();
    composer.focus();
  }
}
