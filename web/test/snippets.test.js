// The "Use via API" panel's code (src/snippets.js). The browser tests run the snippets against a
// real server; these pin the literals and the quoting they are made of.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { literal, shellQuote, snippets } from "../src/snippets.js";

test("values become JSON or Python literals", () => {
  const value = [null, true, false, 2, 2.5, "it's \"x\"", ["a"], { k: null }];
  assert.equal(literal(value), '[null, true, false, 2, 2.5, "it\'s \\"x\\"", ["a"], {"k": null}]');
  assert.equal(literal(value, "python"), '[None, True, False, 2, 2.5, "it\'s \\"x\\"", ["a"], {"k": None}]');
});

test("a shell word comes back as it was", () => {
  for (const text of ["http://127.0.0.1:8000/bot/api/chat", "it's", "a b $HOME `x` \\ \"q\"", ""]) {
    assert.equal(execFileSync("sh", ["-c", `printf %s ${shellQuote(text)}`], { encoding: "utf8" }), text);
  }
  assert.equal(shellQuote("http://localhost:8000/api/chat"), "http://localhost:8000/api/chat");
});

test("a bot without inputs or a token gets neither", () => {
  const bot = { chat: "http://h/api/chat", upload: "http://h/api/upload", openai: "http://h/v1", model: "m", token: false, inputs: [], multimodal: false };
  const code = Object.values(snippets(bot)).join("\n");
  assert.doesNotMatch(code, /inputs|Authorization|CHATSERVE_TOKEN|import os|upload/);
});
