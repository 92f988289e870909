// The page's words without the page (src/texts.js): which language a page shows, and how a text
// is filled in and counted in it.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { formatNumber, pickLanguage, t, useTexts } from "../src/texts.js";

const CATALOGS = ["en", "de", "es", "fr", "ja", "zh-Hans"];

afterEach(() => useTexts({}));

test("the browser's first language with a catalog, by primary subtag; else English", () => {
  assert.deepEqual(pickLanguage("auto", ["de-AT", "en"], CATALOGS), { tag: "de", catalog: "de" });
  assert.deepEqual(pickLanguage(undefined, ["pt-BR", "zh-TW", "en"], CATALOGS), { tag: "zh-Hans", catalog: "zh-Hans" });
  assert.deepEqual(pickLanguage("auto", ["pt-BR", "it"], CATALOGS), { tag: "en", catalog: "en" });
  assert.deepEqual(pickLanguage("auto", [], CATALOGS), { tag: "en", catalog: "en" });
});

test("a language the bot sets wins, and stays the page's tag without a catalog", () => {
  assert.deepEqual(pickLanguage("fr-CA", ["de"], CATALOGS), { tag: "fr-CA", catalog: "fr" });
  assert.deepEqual(pickLanguage("pt-BR", ["de"], CATALOGS), { tag: "pt-BR", catalog: "en" });
});

test("texts fill their placeholders; a missing key stays English, an unknown one shows itself", () => {
  assert.equal(t("history.rename_name", { title: "Plans" }), "Rename Plans");
  useTexts({ "history.rename_name": "{title} umbenennen" }, "de");
  assert.equal(t("history.rename_name", { title: "Pläne" }), "Pläne umbenennen");
  assert.equal(t("composer.send"), "Send");
  assert.equal(t("no.such.key"), "no.such.key");
  assert.equal(t("uploads.progress", {}), "Uploading… {percent}%"); // left as written
});

test("counts pick the language's plural form", () => {
  assert.equal(t("files.count", { count: 1 }), "1 file");
  assert.equal(t("files.count", { count: 0 }), "0 files");
  useTexts({ "files.count.one": "{count} fichier", "files.count.other": "{count} fichiers" }, "fr");
  assert.equal(t("files.count", { count: 0 }), "0 fichier"); // French counts zero as one
  assert.equal(t("files.count", { count: 2 }), "2 fichiers");
});

test("numbers follow the language", () => {
  assert.equal(formatNumber(1.5, 1), "1.5");
  useTexts({}, "de");
  assert.equal(formatNumber(1.5, 1), "1,5");
  assert.equal(formatNumber(2, 1, true), "2,0");
  useTexts({}, "not a tag");
  assert.equal(formatNumber(1.5, 1), "1.5");
});
