// The conversation without the page (src/conversation.js), against a real chat endpoint on
// loopback (node:http) that streams server-sent events. What the page would show is recorded:
// a list that keeps what it was asked to show and turns that keep the events they got.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import { after, before, beforeEach, test } from "node:test";
import { Conversation } from "../src/conversation.js";

// The server: each POST is answered by `server.answer(request, response, body)`, set per test.
let server;
let base;
const requests = [];

before(async () => {
  server = createServer(async (request, response) => {
    let raw = "";
    for await (const chunk of request) raw += chunk;
    const body = JSON.parse(raw);
    requests.push({ path: request.url, body });
    server.answer(request, response, body);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => server.close());

beforeEach(() => {
  requests.length = 0;
  server.answer = (request, response) => stream(response, [["done", { messages: [{ role: "assistant", content: "ok" }] }]]);
});

function stream(response, events, { end = true } = {}) {
  if (!response.headersSent) response.writeHead(200, { "Content-Type": "text/event-stream" });
  for (const [name, data] of events) response.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  if (end) response.end();
}

function json(response, status, body) {
  response.writeHead(status, { "Content-Type": "application/json" });
  response.end(JSON.stringify(body));
}

// An assistant turn as the page would show it: the events it got, and how it ended.
class RecordedTurn {
  constructor() {
    this.el = { turn: this };
    this.events = [];
    this.streamed = [];
    this.flag = null;
    this.finished = null;
    this.arrived = [];
  }

  record(event) {
    this.events.push(event);
    for (const wake of this.arrived.splice(0)) wake();
  }

  /** Resolves once the turn has got `count` events. */
  async eventCount(count) {
    while (this.events.length < count) await new Promise((resolve) => this.arrived.push(resolve));
  }

  message(index, message) {
    this.streamed[index] = { ...message };
    this.record(["message", index, message]);
  }

  delta(index, text) {
    this.streamed[index].content += text;
    this.record(["delta", index, text]);
  }

  queue(position) {
    this.record(["queue", position]);
  }

  error(text) {
    this.record(["error", text]);
  }

  finish(messages, options = {}) {
    this.finished = { messages, ...options };
    return messages || this.streamed.filter(Boolean);
  }
}

// The message list as the conversation sees it: what is shown, in order.
class RecordedList {
  constructor() {
    this.shown = [];
    this.options = null;
  }

  addUser(messages, { scroll = true } = {}) {
    const el = { user: messages, scroll };
    this.shown.push(el);
    return el;
  }

  startTurn() {
    const turn = new RecordedTurn();
    this.shown.push(turn.el);
    return turn;
  }

  addReply(messages, flag = null) {
    const turn = this.startTurn();
    turn.flag = flag;
    turn.finish(messages, { quiet: true });
    return turn;
  }

  remove(elements) {
    this.shown = this.shown.filter((el) => !elements.includes(el));
  }

  clear() {
    this.shown = [];
  }

  showOptions(turn, options, onPick) {
    this.options = { turn, options, onPick };
  }

  clearOptions() {
    this.options = null;
  }

  scrollToEnd() {}

  get turns() {
    return this.shown.filter((el) => el.turn).map((el) => el.turn);
  }
}

// The rest of the page: the inputs' values, the output panels, busy, saves, the composer.
function recordedPage() {
  const page = {
    values: ["friendly", 3],
    busy: [],
    saved: [],
    filled: [],
    changes: 0,
    panels: { specs: [{ type: "json" }], shown: [], cleared: 0 },
    inputValues: () => page.values,
    outputs: () => ({
      specs: page.panels.specs,
      set: (values, specs) => page.panels.shown.push({ values, specs }),
      clear: () => (page.panels.cleared += 1),
    }),
    setBusy: (busy) => page.busy.push(busy),
    changed: () => (page.changes += 1),
    save: (history) => page.saved.push(history),
    fill: (text, files) => page.filled.push({ text, files }),
  };
  return page;
}

function conversation({ multimodal = false } = {}) {
  const list = new RecordedList();
  const page = recordedPage();
  const chat = new Conversation(list, page);
  chat.configure({ url: `${base}/api/chat`, flagUrl: `${base}/api/flag`, multimodal });
  return { chat, list, page };
}

const user = (content) => ({ role: "user", content });
const assistant = (content) => ({ role: "assistant", content });
const photo = { id: "f1", url: "files/f1/cat.png", name: "cat.png", mime_type: "image/png", size: 42 };

test("a turn posts the message, the history and the inputs, and keeps the final messages", async () => {
  const { chat, list, page } = conversation();
  server.answer = (request, response, body) => stream(response, [["done", { messages: [assistant(`re: ${body.message}`)] }]]);
  await chat.send({ text: "first" });
  await chat.send({ text: "second" });

  assert.deepEqual(
    requests.map((r) => [r.path, r.body]),
    [
      ["/api/chat", { message: "first", history: [], inputs: ["friendly", 3], stream: true }],
      ["/api/chat", { message: "second", history: [user("first"), assistant("re: first")], inputs: ["friendly", 3], stream: true }],
    ],
  );
  assert.deepEqual(chat.messages, [user("first"), assistant("re: first"), user("second"), assistant("re: second")]);
  assert.deepEqual(page.busy, [true, false, true, false]);
  assert.deepEqual(page.saved.at(-1), chat.messages);
  assert.deepEqual(list.turns[1].finished, { messages: [assistant("re: second")], stopped: false });
});

test("streamed events reach the turn; outputs go to the panels the turn started with", async () => {
  const { chat, list, page } = conversation();
  let resume;
  server.answer = async (request, response) => {
    stream(response, [["queue", { position: 2 }], ["message", { index: 0, message: { role: "assistant", content: "He" } }]], { end: false });
    await new Promise((resolve) => (resume = resolve));
    stream(response, [
      ["delta", { index: 0, text: "llo" }],
      ["replace", { index: 1, message: { role: "assistant", content: "second" } }],
      ["outputs", ["partial"]],
      ["done", { messages: [assistant("Hello"), assistant("second")], outputs: ["final"] }],
    ]);
  };
  const sent = chat.send({ text: "hi" });
  while (!list.turns.length) await new Promise((resolve) => setImmediate(resolve));
  const [turn] = list.turns;
  await turn.eventCount(2);
  const started = page.panels.specs;
  page.panels.specs = [{ type: "markdown" }]; // a live reload while the reply streams
  resume();
  await sent;

  assert.deepEqual(turn.events, [
    ["queue", 2],
    ["message", 0, { role: "assistant", content: "He" }],
    ["delta", 0, "llo"],
    ["message", 1, { role: "assistant", content: "second" }],
  ]);
  assert.deepEqual(page.panels.shown, [
    { values: ["partial"], specs: started },
    { values: ["final"], specs: started },
  ]);
  assert.deepEqual(chat.rounds[0].assistant, [assistant("Hello"), assistant("second")]);
});

test("an error event is shown, and a reply that ends without `done` says so", async () => {
  const { chat, list } = conversation();
  server.answer = (request, response) => stream(response, [["error", { message: "The bot failed." }]]);
  await chat.send({ text: "a" });
  server.answer = (request, response) => stream(response, [["message", { message: assistant("half") }]]);
  await chat.send({ text: "b" });

  assert.deepEqual(list.turns[0].events, [["error", "The bot failed."]]);
  assert.deepEqual(list.turns[1].events.at(-1), ["error", "The reply ended before it was complete."]);
  // What streamed stays: the history goes on with it.
  assert.deepEqual(chat.messages, [user("a"), user("b"), assistant("half")]);
});

test("an HTTP error shows the server's message; a JSON answer counts as `done`", async () => {
  const { chat, list } = conversation();
  server.answer = (request, response) => json(response, 503, { error: { message: "Too many people are chatting." } });
  await chat.send({ text: "a" });
  server.answer = (request, response) => json(response, 200, { messages: [assistant("whole")] });
  await chat.send({ text: "b" });

  assert.deepEqual(list.turns[0].events, [["error", "Too many people are chatting."]]);
  assert.deepEqual(list.turns[0].finished, { messages: null, stopped: false });
  assert.deepEqual(chat.rounds[1].assistant, [assistant("whole")]);
});

test("nothing is sent while a reply runs, nor a blank turn", async () => {
  const { chat } = conversation();
  await chat.send({ text: "  \n" });
  assert.equal(requests.length, 0);
  let release;
  server.answer = async (request, response) => {
    await new Promise((resolve) => (release = resolve));
    stream(response, [["done", { messages: [] }]]);
  };
  const first = chat.send({ text: "slow" });
  assert.equal(chat.busy, true);
  await chat.send({ text: "impatient" });
  while (!release) await new Promise((resolve) => setImmediate(resolve));
  release();
  await first;
  assert.deepEqual(requests.map((r) => r.body.message), ["slow"]);
});

test("Stop keeps what streamed and marks the turn stopped, without an error", async () => {
  const { chat, list, page } = conversation();
  server.answer = (request, response) => stream(response, [["message", { message: assistant("partial") }]], { end: false });
  const sent = chat.send({ text: "long" });
  while (!list.turns.length) await new Promise((resolve) => setImmediate(resolve));
  await list.turns[0].eventCount(1);
  chat.stop();
  await sent;

  assert.deepEqual(list.turns[0].finished, { messages: null, stopped: true });
  assert.deepEqual(list.turns[0].events, [["message", 0, assistant("partial")]]);
  assert.deepEqual(chat.messages, [user("long"), assistant("partial")]);
  assert.equal(chat.busy, false);
  assert.deepEqual(page.saved, [chat.messages]);
});

test("a reset while a reply streams drops that reply", async () => {
  const { chat, list, page } = conversation();
  server.answer = (request, response) => stream(response, [["message", { message: assistant("partial") }]], { end: false });
  const sent = chat.send({ text: "long" });
  while (!list.turns.length) await new Promise((resolve) => setImmediate(resolve));
  const [turn] = list.turns;
  await turn.eventCount(1);
  chat.reset();
  await sent;

  assert.equal(turn.finished, null);
  assert.deepEqual(chat.rounds, []);
  assert.deepEqual(list.shown, []);
  assert.equal(page.panels.cleared, 1);
  assert.deepEqual(page.busy, [true, false]);
  assert.deepEqual(page.saved, []);
});

test("Retry sends the last user turn again, files too; only from the last reply", async () => {
  const { chat, list } = conversation({ multimodal: true });
  await chat.send({ text: "one" });
  await chat.send({ text: "two", files: [photo] });
  const [firstTurn, lastTurn] = list.turns;
  assert.equal(chat.retry(firstTurn), undefined);
  await chat.retry(lastTurn);

  assert.equal(requests.length, 3);
  assert.deepEqual(requests[2].body, requests[1].body);
  assert.deepEqual(requests[2].body.message, { text: "two", files: ["f1"] });
  assert.equal(chat.rounds.length, 2);
  assert.equal(list.shown.includes(lastTurn.el), false);
  assert.deepEqual(list.turns, [firstTurn, chat.rounds[1].turn]);
});

test("Undo takes the last round out and puts its text (and files, multimodal) back", async () => {
  for (const multimodal of [true, false]) {
    const { chat, list, page } = conversation({ multimodal });
    await chat.send({ text: "keep" });
    await chat.send({ text: "take back", files: [photo] });
    chat.undo(list.turns[0]); // not the last reply: nothing happens
    assert.equal(chat.rounds.length, 2);
    chat.undo(list.turns[1]);

    assert.deepEqual(page.filled, [{ text: "take back", files: multimodal ? [photo] : [] }]);
    assert.deepEqual(chat.messages, [user("keep"), assistant("ok")]);
    assert.deepEqual(page.saved.at(-1), chat.messages);
    assert.equal(list.shown.length, 2);
    assert.equal(requests.length, multimodal ? 2 : 4);
  }
});

test("Edit cuts the conversation at that user turn and sends the new text with its files", async () => {
  const { chat, list } = conversation({ multimodal: true });
  await chat.send({ text: "old", files: [photo] });
  await chat.send({ text: "later" });
  const edited = chat.rounds[0].userEl;
  await chat.edit(edited, "new");

  assert.deepEqual(requests.at(-1).body, { message: { text: "new", files: ["f1"] }, history: [], inputs: ["friendly", 3], stream: true });
  assert.equal(chat.rounds.length, 1);
  assert.equal(list.shown.includes(edited), false);
  assert.deepEqual(chat.rounds[0].user, [{ role: "user", content: { file: photo } }, user("new")]);
});

test("the reply's preset options send their value", async () => {
  const { chat, list } = conversation();
  const options = [{ value: "Again" }];
  server.answer = (request, response, body) => stream(response, [["done", { messages: [{ ...assistant(body.message), options }] }]]);
  await chat.send({ text: "start" });
  assert.equal(list.options.turn, list.turns[0]);
  assert.deepEqual(list.options.options, options);
  await list.options.onPick("Again");
  assert.deepEqual(requests.map((r) => r.body.message), ["start", "Again"]);
});

test("feedback posts the conversation, where the reply starts and its inputs; the turn keeps it", async () => {
  const { chat, list, page } = conversation();
  await chat.send({ text: "one" });
  page.values = ["formal", 1];
  await chat.send({ text: "two" });
  server.answer = (request, response) => json(response, 200, {});
  assert.equal(await chat.flag(list.turns[1], "Like"), true);

  const [{ path, body }] = requests.slice(-1);
  assert.equal(path, "/api/flag");
  assert.deepEqual(body.history, chat.messages);
  assert.equal(body.index, 3);
  assert.equal(body.option, "Like");
  assert.deepEqual(body.inputs, ["formal", 1]);
  assert.match(body.id, /^[0-9a-f]{32}$/);
  assert.equal(list.turns[1].flag, "Like");
});

test("feedback that fails leaves the turn's choice; a dropped connection is tried once more, same id", async () => {
  const { chat, list } = conversation();
  await chat.send({ text: "one" });
  server.answer = (request, response) => json(response, 500, { error: { message: "disk full" } });
  assert.equal(await chat.flag(list.turns[0], "Dislike"), false);
  assert.equal(list.turns[0].flag, null);

  let attempts = 0;
  server.answer = (request, response) => (++attempts === 1 ? request.socket.destroy() : json(response, 200, {}));
  assert.equal(await chat.flag(list.turns[0], "Like"), true);
  const [dropped, stored] = requests.slice(-2);
  assert.equal(dropped.body.id, stored.body.id);
  assert.equal(list.turns[0].flag, "Like");
});

test("a saved conversation is shown round by round, and the next turn sends it as history", async () => {
  const { chat, list, page } = conversation();
  const saved = [user("q1"), assistant("a1"), user("q2"), assistant("a2"), assistant("a2b")];
  chat.load({ messages: saved });
  assert.deepEqual(
    list.shown.map((el) => (el.turn ? el.turn.finished : el)),
    [
      { user: [user("q1")], scroll: false },
      { messages: [assistant("a1")], quiet: true },
      { user: [user("q2")], scroll: false },
      { messages: [assistant("a2"), assistant("a2b")], quiet: true },
    ],
  );
  assert.ok(page.changes > 0);
  await chat.send({ text: "q3" });
  assert.deepEqual(requests[0].body.history, saved);
});

test("a conversation the server saves: its id comes with `done`, goes with each turn and rating, and a new chat drops it", async () => {
  const { chat, list } = conversation();
  server.answer = (request, response, body) => stream(response, [["done", { messages: [assistant(`re: ${body.message}`)], conversation_id: "c".repeat(22) }]]);
  await chat.send({ text: "first" });
  await chat.send({ text: "second" });
  assert.equal(requests[0].body.conversation_id, undefined); // the server starts one
  assert.equal(requests[1].body.conversation_id, "c".repeat(22));
  server.answer = (request, response) => json(response, 200, {});
  await chat.flag(list.turns[1], "Like");
  assert.equal(requests.at(-1).body.conversation_id, "c".repeat(22));
  chat.reset();
  server.answer = (request, response, body) => stream(response, [["done", { messages: [assistant(`re: ${body.message}`)] }]]);
  await chat.send({ text: "new" });
  assert.equal(requests.at(-1).body.conversation_id, undefined);
});

test("a conversation opened from the server keeps its id, its ratings and its inputs' values", async () => {
  const { chat, list } = conversation();
  const messages = [user("q1"), assistant("a1"), user("q2"), assistant("a2"), assistant("a2b")];
  chat.load({ messages, id: "d".repeat(22), inputs: ["formal", 1], feedback: { 3: "Dislike" } });
  assert.deepEqual(
    list.turns.map((turn) => turn.flag),
    [null, "Dislike"],
  );
  server.answer = (request, response) => json(response, 200, {});
  await chat.flag(list.turns[0], "Like");
  const { body } = requests.at(-1);
  assert.deepEqual([body.index, body.inputs, body.conversation_id], [1, ["formal", 1], "d".repeat(22)]);
  server.answer = (request, response, body) => stream(response, [["done", { messages: [assistant(`re: ${body.message}`)] }]]);
  await chat.send({ text: "q3" });
  assert.equal(requests.at(-1).body.conversation_id, "d".repeat(22));
});
