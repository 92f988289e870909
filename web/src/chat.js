// Assembles the page and runs the conversation: keeps the history client-side, streams each
// turn from the chat endpoint, and appends the turn's final messages when it is done.
import { ChatError, streamChat } from "./api.js";
import { Composer } from "./composer.js";
import { h } from "./dom.js";
import { EmptyState } from "./examples.js";
import { Header } from "./header.js";
import { MessageList } from "./messages.js";

// A CSS length from the config (`"400px"`, `"70vh"`, or a number of pixels), or null.
function cssHeight(value) {
  if (typeof value === "number" && value > 0) return `${value}px`;
  if (typeof value === "string" && value.trim() && CSS.supports("height", value.trim())) return value.trim();
  return null;
}

// What the server gets as history: user and assistant messages with text content.
function historyForRequest(history) {
  return history
    .filter((m) => (m.role === "user" || m.role === "assistant") && typeof m.content === "string" && m.content)
    .map(({ role, content }) => ({ role, content }));
}

export function mountChat(root, config) {
  const chatbot = config.chatbot || {};
  const height = cssHeight(chatbot.height);
  const url = (config.api && config.api.chat) || "api/chat";
  const history = [];
  let busy = false;
  let controller = null;
  let generation = 0; // bumped by Clear, so a turn that ends afterwards is dropped

  const list = new MessageList({ height, autoscroll: config.autoscroll !== false });
  const empty = new EmptyState({
    placeholder: chatbot.placeholder,
    examples: config.examples,
    onPick(text, event) {
      send(text);
      // Keyboard users keep their place; on touch screens the keyboard would hide the reply.
      if (event.detail === 0 || window.matchMedia("(pointer: fine)").matches) composer.focus();
    },
  });
  const composer = new Composer({
    placeholder: config.textbox && config.textbox.placeholder,
    submitBtn: config.submit_btn ?? true,
    stopBtn: config.stop_btn ?? true,
    onSend: send,
    onStop: stop,
  });
  const header = new Header({ title: config.title, description: config.description, onClear: clear });

  root.classList.add("cs-app", height ? "cs-fixed-height" : "cs-fill");
  root.replaceChildren(header.el, h("main", { class: "cs-chat" }, [list.el, empty.el, list.jump]), composer.el);
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
    list.setBusy(value);
    composer.setBusy(value);
  }

  async function send(text) {
    if (busy || !text.trim()) return;
    const sentHistory = historyForRequest(history);
    const turnGeneration = generation;
    list.addUser(text);
    history.push({ role: "user", content: text });
    update();
    const turn = list.startTurn();
    const ctrl = new AbortController();
    controller = ctrl;
    setBusy(true);

    let final = null;
    let failed = false;
    try {
      await streamChat(url, { message: text, history: sentHistory }, {
        signal: ctrl.signal,
        onEvent(name, data) {
          const index = Number.isInteger(data && data.index) ? data.index : 0;
          if ((name === "message" || name === "replace") && data && data.message) turn.message(index, data.message);
          else if (name === "delta" && data && typeof data.text === "string") turn.delta(index, data.text);
          else if (name === "queue" && data) turn.queue(data.position);
          else if (name === "error") {
            failed = true;
            turn.error((data && typeof data.message === "string" && data.message) || "Something went wrong.");
          } else if (name === "done") final = data && Array.isArray(data.messages) ? data.messages : [];
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
    setBusy(false);
    update();
    composer.focus();
  }
}
