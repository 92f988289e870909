// Runs first, in <head>, before the first paint: <html data-color-scheme> is "light" or "dark",
// the person's choice (kept by the header toggle in localStorage) or else the system's. The app
// (a module, run once the page is parsed) keeps it up to date afterwards.
let choice = null;
try {
  choice = localStorage.getItem("chatserve:color-scheme");
} catch {
  // storage can be disabled; the system preference still applies
}
if (choice !== "light" && choice !== "dark") choice = "system";
const root = document.documentElement;
root.dataset.colorScheme = choice === "system" ? (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light") : choice;
root.dataset.colorSchemeChoice = choice;
