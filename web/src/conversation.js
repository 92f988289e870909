// The conversation, apart from the page: its rounds (a user turn and the reply to it), one turn
// at a time streamed from the chat endpoint, Retry, Undo and Edit (which cut the rounds and may
// run again), Stop, and feedback on a reply. No DOM: what shows it is handed in.
import { ChatError, signInIfSessionEnded, streamChat } from "./api.js";
import { chatMessage, forRequest, requestHistory, textAndFiles, toRounds, userMessages } from "./rounds.js";
import { t } from "./texts.js";

// 128 random bits as hex: a flag's id, fresh for each click.
function clickId() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

export class Conversation {
  /**
   * `list` shows the rounds (see MessageList): `addUser(messages, {scroll})` returns the user
   * turn's element, `startTurn()` and `addReply(messages, flag)` return an assistant turn (`message`,
   * `delta`, `queue`, `error`, `finish`), and `remove`, `clear`, `showOptions`, `clearOptions`,
   * `scrollToEnd`. `page` is the rest: `inputValues()`, `outputs()` (the output panels: `specs`,
   * `set`, `clear`), `setBusy(busy)`, `changed()` (rounds came or went), `save(history)` and
   * `fill(text, files)` (Undo puts a turn back in the composer). `id` names the conversation
   * the server saves turns in (`save_history: server`): `done` gives it, the panel sets it.
   */
  constructor(list, page) {
    this.list = list;
    this.page = page;
    this.rounds = [];
    this.busy = false;
    this.controller = null;
    this.generation = 0; // bumped by reset, so a turn that ends afterwards is dropped
    this.configure({});
  }

  /** Where turns and feedback go and whether messages carry files (a live reload may change them). */
  configure({ url = "api/chat", flagUrl = "api/flag", multimodal = false }) {
    this.url = url;
    this.flagUrl = flagUrl;
    this.multimodal = multimodal;
  }

  /** Every message of the conversation, in order. */
  get messages() {
    return this.rounds.flatMap((r) => [...r.user, ...r.assistant]);
  }

  /**
   * Sends a user turn (text and files) and streams the reply; resolves when the turn has ended.
   * Ignored while a reply runs. Retry and Edit, when they run, return this promise too.
   */
  async send({ text = "", files = [] }) {
    if (this.busy || (!text.trim() && !files.length)) return;
    const { history } = requestHistory(this.rounds);
    const generation = this.generation;
    const user = userMessages(text, files);
    const message = chatMessage(text, files, this.multimodal);
    this.list.clearOptions();
    const inputs = this.page.inputValues();
    const round = { user, assistant: [], inputs, userEl: this.list.addUser(user) };
    this.rounds.push(round);
    this.page.changed();
    const turn = (round.turn = this.list.startTurn());
    const outputSpecs = this.page.outputs().specs; // after a live reload, its values go to the matching panels
    const controller = (this.controller = new AbortController());
    this.setBusy(true);

    let final = null;
    let failed = false;
    try {
      await streamChat(this.url, { message, history, inputs, conversation_id: this.id }, {
        signal: controller.signal,
        onEvent: (name, data) => {
          if (generation !== this.generation) return;
          const index = Number.isInteger(data && data.index) ? data.index : 0;
          if ((name === "message" || name === "replace") && data && data.message) turn.message(index, data.message);
          else if (name === "delta" && data && typeof data.text === "string") turn.delta(index, data.text);
          else if (name === "queue" && data) turn.queue(data.position);
          else if (name === "outputs") this.page.outputs().set(data, outputSpecs);
          else if (name === "error") {
            failed = true;
            turn.error((data && typeof data.message === "string" && data.message) || t("errors.generic"));
          } else if (name === "done") {
            final = data && Array.isArray(data.messages) ? data.messages : [];
            if (data) {
              this.page.outputs().set(data.outputs, outputSpecs);
              this.id = data.conversation_id || this.id; // the saved conversation (save_history: server)
            }
          }
        },
      });
      if (!final && !failed) turn.error(t("errors.incomplete"));
    } catch (err) {
      if (!controller.signal.aborted) {
        turn.error(err instanceof ChatError ? err.message : t("errors.generic"));
        console.error(err);
      }
    }
    if (generation !== this.generation) return; // reset while streaming
    round.assistant = turn.finish(final, { stopped: controller.signal.aborted && !final });
    this.controller = null;
    this.setBusy(false);
    const last = [...round.assistant].reverse().find((m) => Array.isArray(m.options) && m.options.length);
    if (last) this.list.showOptions(turn, last.options, (value) => this.send({ text: value }));
    this.save();
  }

  /** Retry: the last user turn goes again (its text and files), with a new reply. */
  retry(turn) {
    const i = this.rounds.length - 1;
    if (this.busy || i < 0 || this.rounds[i].turn !== turn || !this.rounds[i].user.length) return;
    return this.send(textAndFiles(this.cut(i).user));
  }

  /** Undo: the last round goes; its text (and files) go back in the composer; nothing runs. */
  undo(turn) {
    const i = this.rounds.length - 1;
    if (this.busy || i < 0 || this.rounds[i].turn !== turn) return;
    const { text, files } = textAndFiles(this.cut(i).user);
    this.page.fill(text, this.multimodal ? files : []);
    this.save();
  }

  /** Edit: the conversation is cut at that user turn, which goes again with `text` (and its files). */
  edit(userEl, text) {
    const i = this.rounds.findIndex((r) => r.userEl === userEl);
    if (this.busy || i < 0) return;
    const { files } = textAndFiles(this.cut(i).user);
    return this.send({ text, files });
  }

  /**
   * Feedback on a reply: POST to the flag endpoint with the conversation, where the reply starts
   * in it and the inputs it was made with. A network failure is retried once with the same id,
   * which the server stores once. Resolves to whether the server took it.
   */
  async flag(turn, option) {
    const round = this.rounds.find((r) => r.turn === turn);
    if (!round || !round.assistant.length) return false;
    const { history, index } = requestHistory(this.rounds, round);
    const body = JSON.stringify({ history, index, option, inputs: round.inputs || [], id: clickId(), conversation_id: this.id });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const response = await fetch(this.flagUrl, { method: "POST", headers: { "Content-Type": "application/json" }, body, credentials: "same-origin" });
        if (!response.ok) {
          signInIfSessionEnded(response.status);
          return false;
        }
        turn.flag = option; // its feedback buttons start from it when they are built again
        return true;
      } catch {
        // offline for a moment: try again
      }
    }
    return false;
  }

  /** Stops the reply that is streaming, if any: it keeps what came. */
  stop() {
    if (this.controller) this.controller.abort();
  }

  /** Empties the conversation (a running reply is stopped and dropped). */
  reset() {
    this.generation += 1;
    this.stop();
    this.controller = null;
    this.id = undefined; // a new conversation, saved (save_history: server) with its first turn
    this.rounds = [];
    this.list.clear();
    this.page.outputs().clear();
    this.setBusy(false);
  }

  /**
   * Shows a saved conversation instead of this one (ignored while a reply runs): its `messages`,
   * and when the server saved it, its `id`, the `inputs`' values its turns were made with and
   * the ratings given (`feedback`, by where each rated reply starts in the messages).
   */
  load({ messages, inputs, feedback = {}, id }) {
    if (this.busy) return;
    this.reset();
    let at = 0;
    this.rounds = toRounds(messages).map((round) => {
      at += forRequest(round.user).length;
      const flag = feedback[at];
      at += forRequest(round.assistant).length;
      return {
        ...round,
        inputs,
        userEl: round.user.length ? this.list.addUser(round.user, { scroll: false }) : null,
        turn: this.list.addReply(round.assistant, flag),
      };
    });
    this.id = id;
    this.page.changed();
    this.list.scrollToEnd(true);
  }

  // Takes the rounds from `index` on out of the conversation; returns the first one taken.
  cut(index) {
    const taken = this.rounds.splice(index);
    this.list.clearOptions();
    this.list.remove(taken.flatMap((r) => [r.userEl, r.turn && r.turn.el]));
    this.page.changed();
    return taken[0];
  }

  setBusy(busy) {
    this.busy = busy;
    this.page.setBusy(busy);
  }

  save() {
    this.page.save(requestHistory(this.rounds).history);
  }
}
