// Nested thoughts as data (src/thoughts.js): which thought each message goes in.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDuration, isThought, thoughtParents } from "../src/thoughts.js";

const thought = (id, parent_id) => ({ title: `thought ${id}`, id, parent_id });
const plain = (parent_id) => ({ parent_id });

test("a message with a title is a thought", () => {
  assert.equal(isThought({ title: "Planning" }), true);
  assert.equal(isThought({ title: 0 }), true);
  assert.equal(isThought({ title: "" }), false);
  assert.equal(isThought({}), false);
});

test("messages go in the thought whose id is their parent_id, at any depth", () => {
  const metas = [thought("a"), thought("b", "a"), plain("b"), plain(null), {}];
  assert.deepEqual(thoughtParents(metas), [-1, 0, 1, -1, -1]);
});

test("ids match as strings, and a parent may come after its child", () => {
  assert.deepEqual(thoughtParents([plain(7), thought("7")]), [1, -1]);
});

test("only thoughts take children: an unknown parent or a plain message's id is the top level", () => {
  assert.deepEqual(thoughtParents([{ id: "p" }, plain("p"), plain("missing")]), [-1, -1, -1]);
});

test("when thoughts share an id, the last one is the parent", () => {
  assert.deepEqual(thoughtParents([thought("x"), thought("x"), plain("x")]), [-1, -1, 1]);
});

test("a chain of parents that loops puts its messages at the top level", () => {
  assert.deepEqual(thoughtParents([thought("a", "a")]), [-1]);
  assert.deepEqual(thoughtParents([thought("a", "b"), thought("b", "a")]), [-1, -1]);
  // Above a loop it is the same: no place to go in.
  assert.deepEqual(thoughtParents([thought("a", "b"), thought("b", "c"), thought("c", "b")]), [-1, -1, -1]);
});

test("a thought's duration reads as Gradio shows it", () => {
  assert.equal(formatDuration(2), "2s");
  assert.equal(formatDuration(1.53), "1.5s");
  assert.equal(formatDuration(0.1), "0.1s");
  assert.equal(formatDuration(0.042), "42.0ms");
  for (const odd of [-1, Number.NaN, Number.POSITIVE_INFINITY, "2", null, undefined]) assert.equal(formatDuration(odd), "");
});
