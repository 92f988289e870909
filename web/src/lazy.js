// Parts of the page loaded only when needed, each an ES module chunk and maybe a stylesheet:
// the config's features (additional inputs and outputs, uploads, saved conversations, feedback)
// before the page shows them, and code highlighting and math when a message first has them.
/* global __CHATSERVE_CSS__ */
import { h } from "./dom.js";

const CSS = typeof __CHATSERVE_CSS__ === "object" ? __CHATSERVE_CSS__ : {};
const PARTS = {
  inputs: [() => Promise.all([import("./inputs.js"), import("./table.js")]).then(([inputs, table]) => ({ ...inputs, ...table })), "inputs"],
  outputs: [() => import("./outputs.js"), "inputs"],
  uploads: [() => import("./uploads.js"), "uploads"],
  history: [() => import("./history.js"), "history"],
  feedback: [() => import("./feedback.js")],
  highlight: [() => import("./lazy/highlight.js"), "highlight"],
  math: [() => import("./lazy/math.js"), "math"],
};
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
    config.multimodal === true && "uploads",
    config.save_history === true && "history",
    config.flagging && config.flagging.mode === "manual" && "feedback",
  ].filter(Boolean);
  return Promise.all(needs.map(load)).catch((err) => console.error("chatserve: could not load a part of the page", err));
}
