// The conversation as data (src/rounds.js): the shapes the chat endpoint gets and keeps.
import assert from "node:assert/strict";
import { test } from "node:test";
import { chatMessage, fileMessage, forRequest, messageText, requestHistory, textAndFiles, toRounds, transcript, userMessages } from "../src/rounds.js";

const photo = { id: "f1", url: "files/f1/cat.png", name: "cat.png", mime_type: "image/png", size: 42 };

test("a file becomes a user message in the FileData shape, without extra keys", () => {
  assert.deepEqual(fileMessage({ ...photo, extra: "dropped" }), { role: "user", content: { file: photo } });
  // An example's file has no upload id or size: both are null, not missing.
  assert.deepEqual(fileMessage({ url: "a.png", name: "a.png", mime_type: "image/png" }).content.file, {
    id: null,
    url: "a.png",
    name: "a.png",
    mime_type: "image/png",
    size: null,
  });
});

test("a user turn is one message per file, then the text unless it is blank", () => {
  assert.deepEqual(userMessages("hi", [photo]), [fileMessage(photo), { role: "user", content: "hi" }]);
  assert.deepEqual(userMessages("  \n", [photo]), [fileMessage(photo)]);
  assert.deepEqual(userMessages("just text", []), [{ role: "user", content: "just text" }]);
});

test("the request's message is the text, or text and file ids when multimodal", () => {
  assert.equal(chatMessage("hi", [photo], false), "hi");
  assert.deepEqual(chatMessage("hi", [photo, { url: "x.png" }], true), { text: "hi", files: ["f1"] });
  assert.deepEqual(chatMessage("   ", [photo], true), { text: "", files: ["f1"] });
});

test("a user turn gives back its text (blocks joined) and its files", () => {
  const turn = [fileMessage(photo), { role: "user", content: "one" }, { role: "user", content: "two" }];
  assert.deepEqual(textAndFiles(turn), { text: "one\n\ntwo", files: [photo] });
  assert.deepEqual(textAndFiles([]), { text: "", files: [] });
});

test("only user and assistant messages with content go to the server", () => {
  const messages = [
    { role: "user", content: "q" },
    { role: "system", content: "s" },
    { role: "assistant", content: null },
    { role: "assistant", content: { component: "plot" } },
  ];
  assert.deepEqual(forRequest(messages), [messages[0], messages[3]]);
});

test("a saved conversation splits into rounds at each user turn after a reply", () => {
  const q1 = { role: "user", content: "q1" };
  const f1 = fileMessage(photo);
  const a1 = { role: "assistant", content: "a1" };
  const a1b = { role: "assistant", content: "a1b" };
  const q2 = { role: "user", content: "q2" };
  const rounds = toRounds([f1, q1, a1, { role: "tool", content: "x" }, null, a1b, q2]);
  assert.deepEqual(rounds, [
    { user: [f1, q1], assistant: [a1, a1b] },
    { user: [q2], assistant: [] },
  ]);
  // A reply before any user message is a round of its own; what is not a list is no rounds.
  assert.deepEqual(toRounds([a1, q1]), [{ user: [], assistant: [a1] }, { user: [q1], assistant: [] }]);
  assert.deepEqual(toRounds({ role: "user" }), []);
});

test("the request history lists every round, and says where a round's reply starts", () => {
  const first = { user: [{ role: "user", content: "q1" }], assistant: [{ role: "assistant", content: "a1" }] };
  const second = { user: [fileMessage(photo), { role: "user", content: "q2" }], assistant: [{ role: "assistant", content: "a2" }] };
  const rounds = [first, second];
  const all = [...first.user, ...first.assistant, ...second.user, ...second.assistant];
  assert.deepEqual(requestHistory(rounds), { history: all, index: -1 });
  assert.deepEqual(requestHistory(rounds, first).index, 1);
  assert.deepEqual(requestHistory(rounds, second).index, 4);
  assert.deepEqual(requestHistory([]), { history: [], index: -1 });
});

test("a copied conversation names files and components by what they are", () => {
  assert.equal(messageText({ content: "text" }), "text");
  assert.equal(messageText({ content: { file: { name: "cat.png", url: "u" } } }), "[cat.png]");
  assert.equal(messageText({ content: { file: { url: "files/u" } } }), "[files/u]");
  assert.equal(messageText({ content: { component: "plot" } }), "[plot]");
  assert.equal(messageText({ content: null }), "");
  const messages = [
    { role: "user", content: "q" },
    { role: "assistant", content: { file: { name: "a.wav" } } },
  ];
  assert.equal(transcript(messages), "user: q\n\nassistant: [a.wav]");
});
