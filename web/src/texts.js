// The page's words: every visible string and screen-reader label goes through `t(key, values)`.
// The catalogs are texts/<language>.json (the server checks a bot's `texts:` keys against
// texts/en.json: add a key there and to every other catalog). English is built in, but for the
// parts that load later: each brings its own section (`addEnglish`, see web/build.mjs). The other
// languages are chunks loaded before the page shows (lazy.js); `useTexts` switches to one.
// A label made with `phrase` (or set with `label`) follows a switch; a string from `t` does not.
import english from "./texts/en.json" with { type: "json" };

const ENGLISH = { ...english };
let current = {};
let shown = "";
let language = "en";
const bound = new WeakMap(); // element -> {attribute: phrase}
const elements = new Set(); // WeakRefs to the elements in `bound`
const listeners = new Set();

/**
 * The string for `key`, its `{name}` placeholders filled from `values`; with a numeric
 * `values.count`, that of `key.one` or `key.other`, as the language's plural rules pick.
 */
export function t(key, values) {
  const find = (name) => current[name] ?? ENGLISH[name];
  let text = find(key);
  if (text === undefined && typeof values?.count === "number") text = find(`${key}.${new Intl.PluralRules(language).select(values.count) === "one" ? "one" : "other"}`);
  return (text ?? key).replace(/\{(\w+)\}/g, (whole, name) => (values && name in values ? String(values[name]) : whole));
}

/** Adds a part's English words (`import words from "./texts/en.json?<section>"`) to the page's. */
export function addEnglish(words) {
  Object.assign(ENGLISH, words);
}

class Phrase {
  constructor(key, values) {
    this.key = key;
    this.values = values;
  }

  toString() {
    return t(this.key, this.values);
  }
}

/** A label that follows the language: give it to `h()` as an attribute (or `text`), or to `label`. */
export function phrase(key, values) {
  return new Phrase(key, values);
}

/**
 * Sets `el`'s attribute `name` (`text`: its text) to `value`: a phrase, which is set again
 * whenever the page's words change, or a plain string (the bot's own words), which stays;
 * null removes the attribute.
 */
export function label(el, name, value) {
  let phrases = bound.get(el);
  if (value instanceof Phrase) {
    if (!phrases) {
      bound.set(el, (phrases = {}));
      elements.add(new WeakRef(el));
    }
    phrases[name] = value;
  } else if (phrases) delete phrases[name];
  if (name === "text") el.textContent = String(value ?? "");
  else if (value == null) el.removeAttribute(name);
  else el.setAttribute(name, String(value));
}

/** Calls `listener()` after each change of the page's words (for what a phrase cannot hold). */
export function onTexts(listener) {
  listeners.add(listener);
}

/** `value` in the page's language with `digits` decimals at most (exactly, when `fixed`). */
export function formatNumber(value, digits = 0, fixed = false) {
  return new Intl.NumberFormat(language, { maximumFractionDigits: digits, minimumFractionDigits: fixed ? digits : 0 }).format(value);
}

/**
 * Which catalog to show, and the page's `lang`: for `setting` (the bot's `language:`, a BCP 47
 * tag) the catalog of its primary language, else English; for "auto" (or none) the first of the
 * browser's `preferred` languages that `catalogs` (their tags) has, else English.
 */
export function pickLanguage(setting, preferred, catalogs) {
  const find = (tag) => catalogs.find((catalog) => catalog.split("-")[0] === String(tag).split("-")[0].toLowerCase());
  if (setting && setting !== "auto") return { tag: setting, catalog: find(setting) || "en" };
  const tag = [...(preferred || []), "en"].map(find).find(Boolean);
  return { tag, catalog: tag };
}

/**
 * Shows `texts` (key → string) in place of English from now on (missing keys stay English), in
 * `tag`'s language: <html lang> and `dir` follow, and every phrase on the page is set again.
 */
export function useTexts(texts, tag = "en") {
  const next = JSON.stringify([tag, texts]);
  if (next === shown) return;
  shown = next;
  current = { ...texts };
  try {
    language = Intl.getCanonicalLocales(tag)[0];
  } catch {
    language = "en"; // not a tag Intl knows: numbers and plurals as in English
  }
  const root = globalThis.document?.documentElement;
  if (root) {
    root.lang = tag;
    root.dir = /^(ar|ckb|dv|fa|he|ps|sd|ug|ur|yi)\b/i.test(tag) ? "rtl" : "ltr";
  }
  for (const ref of elements) {
    const el = ref.deref();
    if (!el) elements.delete(ref);
    else for (const [name, value] of Object.entries(bound.get(el))) label(el, name, value);
  }
  for (const listener of listeners) listener();
}
