// Assembles the page and runs the conversation: keeps the history client-side, streams each
// turn from the chat endpoint, and appends the turn's final messages when it is done.
import { ChatError, streamChat } from "./api.js";
import { Composer } from "./composer.js";
import { h } from "./dom.js";
import { EmptyState, ExamplesTable, normalizeExamples } from "./examples.js";
import { Header } from "./header.js";
import { Inputs } from "./inputs.js";
import { MessageList } from "./messages.js";
import { Outputs } from "./outputs.js";
import { Attachments } from "./uploads.js";

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

export function mountChat(root, config) {
  const chatbot = config.chatbot || {};
  const textbox = config.textbox || {};
  const api = config.api || {};
  const height = cssHeight(chatbot.height);
  const url = api.chat || "api/chat";
  const multimodal = config.multimodal === true;
  const history = [];
  let busy = false;
  let controller = null;
  let generation = 0; // bumped by Clear, so a turn that ends afterwards is dropped

  const inputs = new Inputs(config.additional_inputs, config.additional_inputs_accordion || {});
  const outputs = new Outputs(config.additional_outputs);
  const examples = normalizeExamples(config.examples);
  const table = inputs.length && examples.length ? new ExamplesTable({ examples, inputs: inputs.specs, onPick: pickExample }) : null;
  const list = new MessageList({ height, autoscroll: config.autoscroll !== false });
  const empty = new EmptyState({ placeholder: chatbot.placeholder, examples: table ? [] : examples, onPick: pickExample });
  const attachments = multimodal
    ? new Attachments({
        url: api.upload || "api/upload",
        fileTypes: textbox.file_types,
        fileCount: textbox.file_count,
        maxSize: textbox.max_file_size,
        onChange: () => composer.refresh(),
      })
    : null;
  const composer = new Composer({
    placeholder: textbox.placeholder,
    submitBtn: config.submit_btn ?? true,
    stopBtn: config.stop_btn ?? true,
    attachments,
    onSend: send,
    onStop: stop,
  });
  const header = new Header({ title: config.title, description: config.description, onClear: clear });

  const main = h("div", { class: "cs-main" }, [
    inputs.above || "",
    h("main", { class: "cs-chat" }, [list.el, empty.el, list.jump]),
    composer.el,
    inputs.accordion || table ? h("div", { class: "cs-below" }, [inputs.accordion || "", table ? table.el : ""]) : "",
  ]);
  root.classList.add("cs-app", height ? "cs-fixed-height" : "cs-fill");
  root.classList.toggle("cs-flow", !!(inputs.above || inputs.accordion || table));
  root.classList.toggle("cs-with-outputs", outputs.length > 0);
  root.replaceChildren(header.el, h("div", { class: "cs-columns" }, [main, outputs.length ? outputs.el : ""]));
  if (attachments) attachments.dropZone(root);
  composer.refresh();
  window.addEventListener("resize", () => composer.refresh());
  update();
  if (config.autofocus) composer.focus();

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
          else if (name === "outputs") outputs.set(data);
          else if (name === "error") {
            failed = true;
            turn.error((data && typeof data.message === "string" && data.message) || "Something went wrong.");
          } else if (name === "done") {
            final = data && Array.isArray(data.messages) ? data.messages : [];
            if (data) outputs.set(data.outputs);
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
