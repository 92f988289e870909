// Light/dark handling: <html data-color-scheme> always holds the scheme in effect ("light" or
// "dark"): the person's choice (kept in localStorage) or, by default, the system's preference.
import { h } from "./dom.js";
import { icon } from "./icons.js";
import { label, phrase } from "./texts.js";

const KEY = "chatserve:color-scheme";
const CHOICES = ["system", "light", "dark"];
const ICONS = { system: "system", light: "sun", dark: "moon" };
const root = document.documentElement;
const systemDark = window.matchMedia("(prefers-color-scheme: dark)");

function storedChoice() {
  try {
    const value = localStorage.getItem(KEY);
    return CHOICES.includes(value) ? value : "system";
  } catch {
    return "system"; // storage can be disabled; the system preference still applies
  }
}

function store(choice) {
  try {
    if (choice === "system") localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  } catch {
    // not persisted, still applied for this page
  }
}

function apply(choice) {
  root.dataset.colorScheme = choice === "system" ? (systemDark.matches ? "dark" : "light") : choice;
  root.dataset.colorSchemeChoice = choice;
}

const listeners = new Set();

/** Applies the stored scheme now (before the first paint) and follows system and other-tab changes. */
export function initColorScheme() {
  apply(storedChoice());
  const refresh = () => {
    apply(storedChoice());
    for (const fn of listeners) fn();
  };
  systemDark.addEventListener("change", refresh);
  window.addEventListener("storage", (e) => e.key === KEY && refresh());
}

/** A button cycling system -> light -> dark, naming the current choice. */
export function colorSchemeToggle() {
  const button = h("button", { type: "button", class: "cs-icon-btn cs-scheme" });
  const render = () => {
    const choice = storedChoice();
    const next = CHOICES[(CHOICES.indexOf(choice) + 1) % CHOICES.length];
    button.replaceChildren(icon(ICONS[choice]));
    label(button, "aria-label", phrase(`scheme.${choice}`));
    label(button, "title", phrase(`scheme.${choice}_title`));
    button.dataset.next = next;
  };
  button.addEventListener("click", () => {
    const next = button.dataset.next;
    store(next);
    apply(next);
    render();
  });
  listeners.add(render);
  render();
  return button;
}
