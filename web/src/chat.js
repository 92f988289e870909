// The chat page: the header, the message list, the composer, the additional inputs and outputs,
// the examples, the saved conversations and the footer, around a Conversation (conversation.js),
// which keeps the rounds and runs the turns. A config is applied in place, also on a live reload.
import { Composer } from "./composer.js";
import { Conversation } from "./conversation.js";
import { focusVisible, h, syncChildren } from "./dom.js";
import { EmptyState, normalizeExamples } from "./examples.js";
import { Footer } from "./footer.js";
import { Header } from "./header.js";
import { applyLayout } from "./layout.js";
import { applyLanguage, part } from "./lazy.js";
import { configureMessages } from "./markdown.js";
import { MessageList } from "./messages.js";
import { resizeHandle } from "./resize.js";
import { transcript } from "./rounds.js";

// Stand-ins until a config has additional inputs or outputs (their code loads with that config).
const NO_INPUTS = { specs: [], length: 0, above: null, accordion: null, replaced: new Map(), values: () => [], set() {}, configure() {} };
const NO_OUTPUTS = { specs: [], length: 0, el: null, set() {}, clear() {}, configure() {} };

// The config's theme (<html data-theme>) and its own CSS (custom theme, `css`, `css_paths`) in
// <style id="chatserve-css">, last in <head>.
function applyTheme(config) {
  const html = document.documentElement;
  if (typeof config.theme === "string" && /^[\w-]+$/.test(config.theme)) html.dataset.theme = config.theme;
  else if (!html.dataset.theme || html.dataset.theme.startsWith("__")) html.dataset.theme = "default";
  const css = config.theme_css || "";
  let style = document.getElementById("chatserve-css");
  if (!style && !css) return;
  if (!style) document.head.append((style = h("style", { id: "chatserve-css" })));
  if (style.textContent !== css) style.textContent = css;
}

/**
 * Builds the chat in `root` from `initial` (the public config). Returns `apply(config)`, which
 * applies a new config in place (live reload): the conversation, a reply that is streaming, what
 * is being typed and the inputs' values stay; the next turn uses the new config.
 */
export function mountChat(root, initial) {
  const page = new ChatPage(root);
  page.apply(initial);
  const textbox = (initial && initial.textbox) || {};
  if (textbox.autofocus ?? (initial && initial.autofocus)) page.focus();
  return { apply: (config) => page.apply(config), focus: () => page.focus() };
}

class ChatPage {
  constructor(root) {
    this.root = root;
    this.inputs = NO_INPUTS;
    this.outputs = NO_OUTPUTS;
    this.attachments = null; // multimodal chats
    this.history = null; // save_history
    this.examples = { shown: null, table: null, empty: null };
    this.header = new Header({ onClear: () => this.clear(), copyAll: () => this.list.withWatermark(transcript(this.conversation.messages)) });
    this.list = new MessageList({
      retry: (turn) => this.conversation.retry(turn),
      undo: (turn) => this.conversation.undo(turn),
      edit: (group, text) => this.conversation.edit(group, text),
      flag: (turn, option) => this.conversation.flag(turn, option),
    });
    this.composer = new Composer({ onSend: (turn) => this.conversation.send(turn), onStop: () => this.conversation.stop() });
    this.composer.waiting = () => this.inputs.uploading; // a file input's upload
    root.addEventListener("cs-uploads", () => this.composer.refresh());
    this.footer = new Footer();
    this.conversation = new Conversation(this.list, {
      inputValues: () => this.inputs.values(),
      outputs: () => this.outputs,
      setBusy: (busy) => this.setBusy(busy),
      changed: () => this.update(),
      save: (history) => {
        if (this.history) this.history.save(history);
      },
      fill: (text, files) => this.composer.fill(text, files),
    });

    this.chat = h("main", { class: "cs-chat" });
    this.resize = resizeHandle(this.chat, (px) => {
      root.style.setProperty("--cs-chat-height", `${px}px`);
      root.classList.add("cs-sized");
      this.list.setScroller(false);
      this.list.follow();
    });
    this.below = h("div", { class: "cs-below" });
    this.main = h("div", { class: "cs-main" });
    this.columns = h("div", { class: "cs-columns" }, [this.main]);
    this.shell = h("div", { class: "cs-shell" }, [this.columns]);
    root.classList.add("cs-app");
    root.replaceChildren(this.header.el, this.shell, this.list.announcer);
    window.addEventListener("resize", () => this.composer.refresh());
    // Escape stops a streaming reply from anywhere (unless something open, a menu or an editor, took it).
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && !e.defaultPrevented && this.composer.canStop) {
        e.preventDefault();
        this.conversation.stop();
      }
    });
  }

  /** Applies `config` (the public config); only what differs from the current one changes. */
  apply(config) {
    config = config && typeof config === "object" ? config : {};
    const chatbot = config.chatbot || {};
    const textbox = config.textbox || {};
    const api = config.api || {};
    const active = document.activeElement;
    const keyboard = focusVisible(active);

    applyTheme(config);
    applyLanguage(config);
    document.title = config.title || "chatserve";
    this.header.set({ title: config.title, description: config.description });
    this.header.signOut.hidden = config.auth !== true;
    this.footer.set(config);

    applyLayout(this.root, this.chat, this.list, config);
    if (configureMessages(chatbot)) for (const turn of this.list.turns) turn.refresh();
    this.list.configure({
      copy: chatbot.show_copy_button !== false,
      watermark: typeof chatbot.watermark === "string" && chatbot.watermark ? chatbot.watermark : null,
      editable: config.editable === true,
      flagging: config.flagging && config.flagging.mode === "manual" && Array.isArray(config.flagging.options) ? config.flagging.options.map(String) : null,
      progress: ["full", "minimal", "hidden"].includes(config.show_progress) ? config.show_progress : "minimal",
    });
    this.header.copyAllEnabled = chatbot.show_copy_all_button === true;

    const multimodal = config.multimodal === true;
    this.conversation.configure({ url: api.chat || "api/chat", flagUrl: api.flag || "api/flag", multimodal });
    this.runExamples = config.run_examples_on_click !== false || config.cache_examples === true;
    this.configureUploads(multimodal, { url: api.upload || "api/upload", fileTypes: textbox.file_types, fileCount: textbox.file_count, maxSize: textbox.max_file_size });
    this.composer.configure({
      placeholder: textbox.placeholder,
      submitBtn: textbox.submit_btn ?? config.submit_btn ?? true,
      stopBtn: textbox.stop_btn ?? config.stop_btn ?? true,
      attachments: this.attachments,
      lines: textbox.lines,
      maxLines: textbox.max_lines,
      maxLength: textbox.max_length,
    });
    const inputsPart = part("inputs");
    const outputsPart = part("outputs");
    if (this.inputs === NO_INPUTS && inputsPart) this.inputs = new inputsPart.Inputs();
    if (this.outputs === NO_OUTPUTS && outputsPart) this.outputs = new outputsPart.Outputs();
    this.inputs.configure(config.additional_inputs, config.additional_inputs_accordion || {});
    this.outputs.configure(config.additional_outputs);
    this.saveHistory(config.save_history === true ? "browser" : config.save_history);
    this.showExamples(normalizeExamples(config.examples), chatbot.placeholder, inputsPart);
    this.arrange(chatbot.resizable === true);
    if (active && active !== document.body && !active.isConnected) this.refocus(active, keyboard);
  }

  // Focus was on `gone`, which the new config took away: its successor (an input rebuilt for its
  // new spec, with the caret where it was), else the message box for `keyboard` users.
  refocus(gone, keyboard) {
    const successor = [...this.inputs.replaced].find(([was]) => was.contains(gone));
    const target = successor && successor[1].querySelector("input, textarea, select");
    if (target) {
      target.focus({ preventScroll: true });
      try {
        if (typeof gone.selectionStart === "number") target.setSelectionRange(gone.selectionStart, gone.selectionEnd);
      } catch {
        // not a text field
      }
    } else if (keyboard) this.composer.focus();
  }

  // Puts the parts where the config wants them. Only what changed moves: the conversation's
  // element stays put (and keeps its scroll position).
  arrange(resizable) {
    const { root, inputs, outputs, history, composer } = this;
    const { table, empty } = this.examples;
    syncChildren(this.chat, [this.list.el, empty.el, this.list.jump]);
    syncChildren(this.below, [inputs.accordion, table && table.el]);
    syncChildren(this.main, [inputs.above, this.chat, resizable && this.resize, composer.el, (inputs.accordion || table) && this.below, this.footer.el]);
    syncChildren(this.columns, [this.main, outputs.length && outputs.el]);
    syncChildren(this.shell, [history && history.el, this.columns]);
    syncChildren(this.header.start, [history && history.toggle]);
    if (history) root.append(history.backdrop);
    root.classList.toggle("cs-flow", !!(inputs.above || inputs.accordion || table));
    root.classList.toggle("cs-with-outputs", outputs.length > 0);
    root.classList.toggle("cs-with-history", !!history);
    this.update();
    composer.refresh();
  }

  // Multimodal chats: the attach button, paste and drop (the uploads part), set up once.
  configureUploads(multimodal, settings) {
    const uploadsPart = part("uploads");
    if (multimodal && this.attachments) this.attachments.configure(settings);
    else if (multimodal && uploadsPart) {
      this.attachments = new uploadsPart.Attachments({ ...settings, onChange: () => this.composer.refresh() });
      if (!this.root.csDropZone) this.root.csDropZone = uploadsPart.dropZone(this.root, () => this.attachments) || true;
    } else if (this.attachments) {
      this.attachments.clear();
      this.attachments = null;
    }
  }

  // Cards in the empty chat, or a table under it when there are additional inputs; rebuilt only
  // when they change.
  showExamples(examples, placeholder, inputsPart) {
    const shown = JSON.stringify([examples, this.inputs.specs, placeholder ?? null]);
    if (shown === this.examples.shown) return;
    const onPick = (example, event) => this.pickExample(example, event);
    const table = this.inputs.length && examples.length ? new inputsPart.ExamplesTable({ examples, inputs: this.inputs.specs, onPick }) : null;
    const empty = new EmptyState({ placeholder, examples: table ? [] : examples, onPick });
    this.examples = { shown, table, empty };
  }

  // An example card or table row: set the inputs to its values, then send its message (or, with
  // `run_examples_on_click: false` and no cached answers, put it in the composer).
  pickExample(example, event) {
    if (this.conversation.busy) return;
    this.inputs.set(example.inputs);
    const files = this.conversation.multimodal ? example.files : [];
    if (!this.runExamples) {
      this.composer.fill(example.text, files);
      return;
    }
    this.conversation.send({ text: example.text, files });
    // Keyboard users keep their place; on touch screens the keyboard would hide the reply.
    if (!this.examples.table && (event.detail === 0 || window.matchMedia("(pointer: fine)").matches)) this.composer.focus();
  }

  // The saved conversations' panel: `mode` "browser" or "server" (a reload may switch it), or none.
  saveHistory(mode) {
    const historyPart = part("history");
    if (this.history && this.history.mode !== mode) {
      this.history.backdrop.remove();
      this.history = null;
    }
    if (mode && !this.history && historyPart) {
      this.history = new historyPart.History({
        mode,
        conversation: this.conversation,
        select: (saved) => {
          this.conversation.load(saved);
          this.inputs.set(saved.inputs);
        },
        fresh: () => {
          this.conversation.reset();
          this.update();
          this.composer.focus();
        },
      });
      this.history.setBusy(this.conversation.busy);
    }
  }

  // What depends on whether there are messages: the empty state, Clear, Copy conversation.
  update() {
    const hasMessages = !this.list.isEmpty;
    this.examples.empty.show(!hasMessages);
    this.header.clear.hidden = !hasMessages;
    this.header.copyAll.hidden = !hasMessages || !this.header.copyAllEnabled;
    this.list.el.tabIndex = hasMessages ? 0 : -1; // keyboard scrolling, once there is something to scroll
    this.root.classList.toggle("cs-has-messages", hasMessages);
  }

  setBusy(busy) {
    this.root.classList.toggle("cs-busy", busy);
    this.list.setBusy(busy);
    this.composer.setBusy(busy);
    if (this.history) this.history.setBusy(busy);
  }

  // Clear: with save_history, the saved conversation is deleted too (as in Gradio).
  clear() {
    this.conversation.reset();
    if (this.history) this.history.remove(this.history.current);
    this.update();
    this.composer.focus();
  }

  focus() {
    this.composer.focus();
  }
}
