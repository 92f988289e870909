// Parts of the page loaded only when needed, each an ES module chunk and maybe a stylesheet:
// the config's features (additional inputs and outputs, uploads, saved conversations, feedback)
// before the page shows them, code highlighting and math when a message first has them, the
// "Use via API" panel when it is first opened, and the catalog of a language other than English
// (texts/*.json) before the page shows in it.
/* global __CHATSERVE_CSS__ */
import { h } from "./dom.js";
import { pickLanguage, useTexts } from "./texts.js";

const CSS = typeof __CHATSERVE_CSS__ === "object" ? __CHATSERVE_CSS__ : {};
const PARTS = {
  inputs: [() => Promise.all([import("./inputs.js"), import("./table.js")]).then(([inputs, table]) => ({ ...inputs, ...table })), "inputs"],
  outputs: [() => import("./outputs.js"), "inputs"],
  uploads: [() => import("./uploads.js"), "uploads"],
  history: [() => import("./history.js"), "history"],
  feedback: [() => import("./feedback.js")],
  api: [() => import("./api-panel.js"), "api"],
  highlight: [() => import("./lazy/highlight.js"), "highlight"],
  math: [() => import("./lazy/math.js"), "math"],
  "texts:de": [() => import("./texts/de.json")],
  "texts:es": [() => import("./texts/es.json")],
  "texts:fr": [() => import("./texts/fr.json")],
  "texts:ja": [() => import("./texts/ja.json")],
  "texts:zh-Hans": [() => import("./texts/zh-Hans.json")],
};
const CATALOGS = ["en", ...Object.keys(PARTS).filter((name) => name.startsWith("texts:")).map((name) => name.slice(6))];
const modules = {};
const loading = {};
const sheets = {};

// Before the config's own CSS (<style id="chatserve-css">), so that custom CSS still wins.
function stylesheet(name) {
  if (!name || !CSS[name]) return null;
  if (!sheets[name]) {
    sheets[name] = new Promise((resolve) => {
      const link = h("link", { rel: "stylesheet", href: CSS[name], onload: resolve, onerror: resolve });
      document.head.insertBefore(link, document.getElementById("chatserve-css"));
    });
  }
  return sheets[name];
}

/** Loads a part (once); resolves to its module. */
export function load(name) {
  if (!loading[name]) {
    const [importer, css] = PARTS[name];
    loading[name] = Promise.all([importer(), stylesheet(css)]).then(([module]) => (modules[name] = module));
  }
  return loading[name];
}

/**
 * The part's module once it has loaded, else null. With `loaded`, the first call starts loading
 * it and calls `loaded(module)` when it is there.
 */
export function part(name, loaded) {
  if (modules[name] || !loaded) return modules[name] || null;
  if (!loading[name]) load(name).then(loaded, (err) => console.error(`chatserve: could not load ${name}`, err));
  return null;
}

/** Loads the parts `config` needs, so that applying it can show them at once. */
export function prepare(config) {
  config = config || {};
  const needs = [
    Array.isArray(config.additional_inputs) && config.additional_inputs.length && "inputs",
    Array.isArray(config.additional_outputs) && config.additional_outputs.length && "outputs",
    (config.multimodal === true || (config.additional_inputs || []).some((spec) => spec && ["file", "image"].includes(spec.type))) && "uploads", // its chips' CSS
    config.save_history && "history",
    config.flagging && config.flagging.mode === "manual" && "feedback",
    language(config).part,
  ].filter(Boolean);
  return Promise.all(needs.map(load)).catch((err) => console.error("chatserve: could not load a part of the page", err));
}

// The language `config` shows (see pickLanguage) and the part holding its catalog (none for English).
function language(config) {
  const { tag, catalog } = pickLanguage(config.language, navigator.languages, CATALOGS);
  return { tag, part: catalog === "en" ? null : `texts:${catalog}` };
}

/** Shows the page in `config`'s language, with its `texts:` on top (its catalog loaded by `prepare`). */
export function applyLanguage(config) {
  const { tag, part: name } = language(config);
  const catalog = name ? part(name) : null;
  useTexts({ ...(catalog && catalog.default), ...config.texts }, catalog || !name ? tag : "en"); // English when it failed to load
}
