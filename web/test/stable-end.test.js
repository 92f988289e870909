// Where a long streaming text is cut in two (src/stable-end.js).
import assert from "node:assert/strict";
import { test } from "node:test";
import { stableEnd } from "../src/stable-end.js";

test("the cut is just after the last blank line", () => {
  const text = "one\n\ntwo\n\nthree";
  assert.equal(stableEnd(text).cut, "one\n\ntwo\n\n".length);
  assert.equal(stableEnd("no blank line\nat all").cut, 0);
  // A blank first line is no place to cut.
  assert.equal(stableEnd("\nsomething").cut, 0);
});

test("blank lines inside a code fence are not cuts, until the fence closes", () => {
  const open = "intro\n\n```js\nconst a = 1;\n\nconst b = 2;\n";
  assert.equal(stableEnd(open).cut, "intro\n\n".length);
  const closed = `${open}\`\`\`\n\nafter`;
  assert.equal(stableEnd(closed).cut, closed.length - "after".length);
});

test("a fence closes only with its own character; up to three spaces may indent it", () => {
  const text = "~~~\n```\n\n~~~\n\nrest";
  assert.equal(stableEnd(text).cut, text.length - "rest".length);
  assert.equal(stableEnd("    ```\n\nx").cut, "    ```\n\n".length, "four spaces: code, not a fence");
  assert.equal(stableEnd("   ```\n\nx").cut, 0);
});

test("scanning in steps, passing the last result back, finds the same cut as scanning at once", () => {
  const text = "a\n\n```\nin\n\nfence\n```\n\nb\n\nc\n~~~\n\n";
  let scan = null;
  for (let end = 1; end <= text.length; end++) {
    scan = stableEnd(text.slice(0, end), scan);
    assert.deepEqual(scan, stableEnd(text.slice(0, end)), `after ${end} characters`);
  }
});

test("a text that got shorter (a replaced message) is scanned again from the start", () => {
  const first = stableEnd("one\n\ntwo\n\nthree\n");
  assert.equal(stableEnd("x\n\ny", first).cut, "x\n\n".length);
});
