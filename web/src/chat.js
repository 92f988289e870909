// Assembles the page and runs the conversation: keeps the history client-side (as rounds: a
// user turn and the reply to it), streams each turn from the chat endpoint, and appends the
// turn's final messages when it is done. Retry, Undo and Edit cut the rounds and run again;
// feedback goes to the flag endpoint; `save_history` keeps conversations in the browser. A new
// config (live reload) is applied in place.
import { ChatError, signInIfSessionEnded, streamChat } from "./api.js";
import { Composer } from "./composer.js";
import { focusVisible, h, syncChildren } from "./dom.js";
import { EmptyState, normalizeExamples } from "./examples.js";
import { safeUrl } from "./files.js";
import { Header } from "./header.js";
import { part } from "./lazy.js";
import { configureMessages } from "./markdown.js";
import { MessageList, messageText } from "./messages.js";

// Stand-ins until a config has additional inputs or outputs (their code loads with that config).
const NO_INPUTS = { specs: [], length: 0, above: null, accordion: null, replaced: new Map(), values: () => [], set() {}, configure() {} };
const NO_OUTPUTS = { specs: [], length: 0, el: null, set() {}, clear() {}, configure() {} };

// A CSS length from the config (`"400px"`, `"70vh"`, or a number of pixels), or null.
function cssLength(value) {
  if (typeof value === "number" && value > 0) return `${value}px`;
  if (typeof value === "string" && value.trim() && CSS.supports("height", value.trim())) return value.trim();
  return null;
}

// What the server gets as history: every user and assistant message, as shown and as received.
function forRequest(messages) {
  return messages.filter((m) => (m.role === "user" || m.role === "assistant") && m.content != null);
}

// A user file message, in the shape the server gets back in `history`.
function fileMessage(file) {
  const { id = null, url, name, mime_type, size = null } = file;
  return { role: "user", content: { file: { id, url, name, mime_type, size } } };
}

// A user turn's text and files (FileData), to send it again or put it back in the composer.
function userTurn(messages) {
  const text = messages.filter((m) => typeof m.content === "string").map((m) => m.content).join("\n\n");
  const files = messages.filter((m) => m.content && typeof m.content === "object" && m.content.file).map((m) => m.content.file);
  return { text, files };
}

// A saved conversation as rounds: each run of user messages and the assistant messages after it.
function toRounds(messages) {
  const rounds = [];
  for (const m of Array.isArray(messages) ? messages : []) {
    if (!m || (m.role !== "user" && m.role !== "assistant")) continue;
    let last = rounds[rounds.length - 1];
    if (!last || (m.role === "user" && last.assistant.length)) rounds.push((last = { user: [], assistant: [] }));
    last[m.role === "user" ? "user" : "assistant"].push(m);
  }
  return rounds;
}

// The config's own CSS (custom theme, `css`, `css_paths`) in <style id="chatserve-css">, last in <head>.
// 128 random bits as hex: a flag's id, fresh for each click.
function clickId() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

function applyThemeCss(css) {
  let style = document.getElementById("chatserve-css");
  if (!style && !css) return;
  if (!style) document.head.append((style = h("style", { id: "chatserve-css" })));
  if (style.textContent !== (css || "")) style.textContent = css || "";
}

/**
 * Builds the chat in `root` from `initial` (the public config). Returns `apply(config)`, which
 * applies a new config in place (live reload): the conversation, a reply that is streaming, what
 * is being typed and the inputs' values stay; the next turn uses the new config.
 */
export function mountChat(root, initial) {
  let rounds = [];
  let busy = false;
  let controller = null;
  let generation = 0; // bumped by Clear (and by loading a conversation), so a turn that ends afterwards is dropped
  let url = "api/chat";
  let flagUrl = "api/flag";
  let multimodal = false;
  let runOnClick = true;
  let cachedExamples = false;
  let attachments = null;
  let table = null;
  let empty = null;
  let shownExamples = null;
  let history = null;

  const messages = () => rounds.flatMap((r) => [...r.user, ...r.assistant]);
  const header = new Header({ onClear: clear, copyAll });
  let inputs = NO_INPUTS;
  let outputs = NO_OUTPUTS;
  const list = new MessageList({ retry, undo, edit, flag });
  const composer = new Composer({ onSend: send, onStop: stop });
  const chat = h("main", { class: "cs-chat" });
  const resize = h("div", { class: "cs-resize", role: "separator", tabindex: "0", "aria-orientation": "horizontal", "aria-label": "Resize conversation", title: "Drag to resize" });
  const below = h("div", { class: "cs-below" });
  const main = h("div", { class: "cs-main" });
  const columns = h("div", { class: "cs-columns" }, [main]);
  const shell = h("div", { class: "cs-shell" }, [columns]);
  root.classList.add("cs-app");
  root.replaceChildren(header.el, shell, list.announcer);
  resizable();
  window.addEventListener("resize", () => composer.refresh());
  // Escape stops a streaming reply from anywhere (unless something open, a menu or an editor, took it).
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !e.defaultPrevented && composer.canStop) {
      e.preventDefault();
      stop();
    }
  });
  apply(initial);
  const textbox = (initial && initial.textbox) || {};
  if (textbox.autofocus ?? (initial && initial.autofocus)) composer.focus();
  return { apply, focus: () => composer.focus() };

  function apply(config) {
    config = config && typeof config === "object" ? config : {};
    const chatbot = config.chatbot || {};
    const textbox = config.textbox || {};
    const api = config.api || {};
    const active = document.activeElement;
    const keyboard = focusVisible(active);

    const html = document.documentElement;
    if (typeof config.theme === "string" && /^[\w-]+$/.test(config.theme)) html.dataset.theme = config.theme;
    else if (!html.dataset.theme || html.dataset.theme.startsWith("__")) html.dataset.theme = "default";
    applyThemeCss(config.theme_css);
    document.title = config.title || "chatserve";
    header.set({ title: config.title, description: config.description });
    header.signOut.hidden = config.auth !== true;

    layout(config, chatbot);
    if (configureMessages(chatbot)) for (const turn of list.turns) turn.refresh();
    list.configure({
      copy: chatbot.show_copy_button !== false,
      watermark: typeof chatbot.watermark === "string" && chatbot.watermark ? chatbot.watermark : null,
      editable: config.editable === true,
      flagging: config.flagging && config.flagging.mode === "manual" && Array.isArray(config.flagging.options) ? config.flagging.options.map(String) : null,
      progress: ["full", "minimal", "hidden"].includes(config.show_progress) ? config.show_progress : "minimal",
    });
    header.copyAllEnabled = chatbot.show_copy_all_button === true;

    url = api.chat || "api/chat";
    flagUrl = api.flag || "api/flag";
    runOnClick = config.run_examples_on_click !== false;
    cachedExamples = config.cache_examples === true;
    multimodal = config.multimodal === true;
    const uploads = { url: api.upload || "api/upload", fileTypes: textbox.file_types, fileCount: textbox.file_count, maxSize: textbox.max_file_size };
    const uploadsPart = part("uploads");
    if (multimodal && attachments) attachments.configure(uploads);
    else if (multimodal && uploadsPart) {
      attachments = new uploadsPart.Attachments({ ...uploads, onChange: () => composer.refresh() });
      if (!root.csDropZone) root.csDropZone = uploadsPart.dropZone(root, () => attachments) || true;
    } else if (attachments) {
      attachments.clear();
      attachments = null;
    }
    composer.configure({
      placeholder: textbox.placeholder,
      submitBtn: textbox.submit_btn ?? config.submit_btn ?? true,
      stopBtn: textbox.stop_btn ?? config.stop_btn ?? true,
      attachments,
      lines: textbox.lines,
      maxLines: textbox.max_lines,
      maxLength: textbox.max_length,
    });
    const inputsPart = part("inputs");
    const outputsPart = part("outputs");
    if (inputs === NO_INPUTS && inputsPart) inputs = new inputsPart.Inputs();
    if (outputs === NO_OUTPUTS && outputsPart) outputs = new outputsPart.Outputs();
    inputs.configure(config.additional_inputs, config.additional_inputs_accordion || {});
    outputs.configure(config.additional_outputs);
    saveHistory(config.save_history === true);

    // Cards in the empty chat, or a table under it when there are additional inputs.
    const examples = normalizeExamples(config.examples);
    const shown = JSON.stringify([examples, inputs.specs, chatbot.placeholder ?? null]);
    if (shown !== shownExamples) {
      shownExamples = shown;
      table = inputs.length && examples.length ? new inputsPart.ExamplesTable({ examples, inputs: inputs.specs, onPick: pickExample }) : null;
      empty = new EmptyState({ placeholder: chatbot.placeholder, examples: table ? [] : examples, onPick: pickExample });
    }

    // Only what changed moves: the conversation's element stays put (and keeps its scroll position).
    syncChildren(chat, [list.el, empty.el, list.jump]);
    syncChildren(below, [inputs.accordion, table && table.el]);
    syncChildren(main, [inputs.above, chat, chatbot.resizable === true && resize, composer.el, (inputs.accordion || table) && below]);
    syncChildren(columns, [main, outputs.length && outputs.el]);
    syncChildren(shell, [history && history.el, columns]);
    syncChildren(header.start, [history && history.toggle]);
    if (history) root.append(history.backdrop);
    root.classList.toggle("cs-flow", !!(inputs.above || inputs.accordion || table));
    root.classList.toggle("cs-with-outputs", outputs.length > 0);
    root.classList.toggle("cs-with-history", !!history);
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

  // Height (fixed, filling the window, or natural with the page scrolling), width, avatars,
  // bubble or panel layout, grouping, downloads, direction.
  function layout(config, chatbot) {
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

  // `resizable`: the handle under the conversation drags (or, with the arrow keys, steps) its height.
  function resizable() {
    const set = (px) => {
      const value = Math.max(160, Math.round(px));
      root.style.setProperty("--cs-chat-height", `${value}px`);
      root.classList.add("cs-sized");
      list.setScroller(false);
      resize.setAttribute("aria-valuenow", String(value));
      list.follow();
    };
    resize.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      e.preventDefault();
      const start = e.clientY;
      const from = chat.getBoundingClientRect().height;
      resize.setPointerCapture(e.pointerId);
      const move = (m) => set(from + m.clientY - start);
      const end = () => {
        resize.removeEventListener("pointermove", move);
        resize.removeEventListener("pointerup", end);
        resize.removeEventListener("pointercancel", end);
      };
      resize.addEventListener("pointermove", move);
      resize.addEventListener("pointerup", end);
      resize.addEventListener("pointercancel", end);
    });
    resize.addEventListener("keydown", (e) => {
      const step = { ArrowUp: -40, ArrowDown: 40, PageUp: -160, PageDown: 160 }[e.key];
      if (!step) return;
      e.preventDefault();
      set(chat.getBoundingClientRect().height + step);
    });
  }

  function saveHistory(enabled) {
    const historyPart = part("history");
    if (enabled && !history && historyPart) {
      history = new historyPart.History({
        select(saved) {
          if (busy) return;
          reset();
          rounds = toRounds(saved).map((round) => ({
            ...round,
            userEl: round.user.length ? list.addUser(round.user, { scroll: false }) : null,
            turn: list.addReply(round.assistant),
          }));
          update();
          list.scrollToEnd(true);
        },
        fresh() {
          reset();
          update();
          composer.focus();
        },
      });
      history.setBusy(busy);
    } else if (!enabled && history) {
      history.backdrop.remove();
      history = null;
    }
  }

  function save() {
    if (history) history.save(forRequest(messages()));
  }

  function update() {
    const hasMessages = !list.isEmpty;
    empty.show(!hasMessages);
    header.clear.hidden = !hasMessages;
    header.copyAll.hidden = !hasMessages || !header.copyAllEnabled;
    list.el.tabIndex = hasMessages ? 0 : -1; // keyboard scrolling, once there is something to scroll
    root.classList.toggle("cs-has-messages", hasMessages);
  }

  function setBusy(value) {
    busy = value;
    root.classList.toggle("cs-busy", value);
    list.setBusy(value);
    composer.setBusy(value);
    if (history) history.setBusy(value);
  }

  // An example card or table row: set the inputs to its values, then send its message (or, with
  // `run_examples_on_click: false` and no cached answers, put it in the composer).
  function pickExample(example, event) {
    if (busy) return;
    inputs.set(example.inputs);
    const files = multimodal ? example.files : [];
    if (!runOnClick && !cachedExamples) {
      composer.fill(example.text, files);
      return;
    }
    send({ text: example.text, files });
    // Keyboard users keep their place; on touch screens the keyboard would hide the reply.
    if (!table && (event.detail === 0 || window.matchMedia("(pointer: fine)").matches)) composer.focus();
  }

  // The conversation as the chat endpoint gets it, and where the given round's reply starts in it.
  function sent(upTo) {
    const out = [];
    let index = -1;
    for (const round of rounds) {
      out.push(...forRequest(round.user));
      if (round === upTo) index = out.length;
      out.push(...forRequest(round.assistant));
    }
    return { history: out, index };
  }

  async function send({ text = "", files = [] }) {
    if (busy || (!text.trim() && !files.length)) return;
    const sentHistory = sent(null).history;
    const turnGeneration = generation;
    const userMessages = files.map(fileMessage);
    if (text.trim()) userMessages.push({ role: "user", content: text });
    const message = multimodal
      ? { text: text.trim() ? text : "", files: files.map((f) => f.id).filter((id) => id != null) }
      : text;
    list.clearOptions();
    const values = inputs.values();
    const round = { user: userMessages, assistant: [], inputs: values, userEl: list.addUser(userMessages) };
    rounds.push(round);
    update();
    const turn = list.startTurn();
    round.turn = turn;
    const turnOutputs = outputs.specs; // after a live reload, its values go to the matching panels
    const ctrl = new AbortController();
    controller = ctrl;
    setBusy(true);

    let final = null;
    let failed = false;
    try {
      await streamChat(url, { message, history: sentHistory, inputs: values }, {
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
    round.assistant = turn.finish(final, { stopped: ctrl.signal.aborted && !final });
    controller = null;
    setBusy(false);
    const last = [...round.assistant].reverse().find((m) => Array.isArray(m.options) && m.options.length);
    if (last) list.showOptions(turn, last.options, (value) => send({ text: value }));
    save();
  }

  // Takes the rounds from `index` on out of the conversation; returns the first one taken.
  function cut(index) {
    const taken = rounds.splice(index);
    list.clearOptions();
    list.remove(taken.flatMap((r) => [r.userEl, r.turn && r.turn.el]));
    update();
    return taken[0];
  }

  // Retry: the last user turn goes again (its text and files), with a new reply.
  function retry(turn) {
    const i = rounds.length - 1;
    if (busy || i < 0 || rounds[i].turn !== turn || !rounds[i].user.length) return;
    send(userTurn(cut(i).user));
  }

  // Undo: the last round goes; its text (and files) are back in the composer; nothing runs.
  function undo(turn) {
    const i = rounds.length - 1;
    if (busy || i < 0 || rounds[i].turn !== turn) return;
    const { text, files } = userTurn(cut(i).user);
    composer.fill(text, multimodal ? files : []);
    save();
  }

  // Edit: the conversation is cut at that user message, which goes again with the new text (and
  // the files of its turn).
  function edit(group, text) {
    const i = rounds.findIndex((r) => r.userEl === group);
    if (busy || i < 0) return;
    const { files } = userTurn(cut(i).user);
    send({ text, files });
  }

  // Feedback on a reply: POST api/flag with the conversation, where the reply starts in it and
  // the inputs it was made with. A network failure is retried once with the same id, which the
  // server stores once.
  async function flag(turn, option) {
    const round = rounds.find((r) => r.turn === turn);
    if (!round || !round.assistant.length) return false;
    const { history: all, index } = sent(round);
    const body = JSON.stringify({ history: all, index, option, inputs: round.inputs || [], id: clickId() });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const response = await fetch(flagUrl, { method: "POST", headers: { "Content-Type": "application/json" }, body, credentials: "same-origin" });
        if (!response.ok) {
          signInIfSessionEnded(response.status);
          return false;
        }
        turn.flag = option;
        return true;
      } catch {
        // offline for a moment: try again
      }
    }
    return false;
  }

  // The whole conversation as `role: content` blocks (and the watermark).
  function copyAll() {
    return list.withWatermark(messages().map((m) => `${m.role}: ${messageText(m)}`).join("\n\n"));
  }

  function stop() {
    if (controller) controller.abort();
  }

  // Empties the conversation on the page (a running reply is stopped and dropped).
  function reset() {
    generation += 1;
    stop();
    controller = null;
    rounds = [];
    list.clear();
    outputs.clear();
    setBusy(false);
  }

  // Clear: with save_history, the conversation is also deleted from the browser (as in Gradio).
  function clear() {
    reset();
    if (history) history.remove(history.current);
    update();
    composer.focus();
  }
}
