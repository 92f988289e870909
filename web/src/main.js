// Boot: set the colour scheme before the first paint, then build the page from the config that
// the server embedded in the page (or, when it is missing, from GET api/config).
import { mountChat } from "./chat.js";
import { initColorScheme } from "./theme.js";

const THEMES = ["default", "soft", "ocean", "citrus", "glass", "monochrome", "origin", "base"];

initColorScheme();

function embeddedConfig() {
  const el = document.getElementById("chatserve-config");
  try {
    const config = JSON.parse(el ? el.textContent : "");
    return config && typeof config === "object" ? config : null;
  } catch {
    return null; // e.g. the page was served without the server filling it in
  }
}

async function fetchedConfig() {
  try {
    const response = await fetch("api/config", { credentials: "same-origin" });
    return response.ok ? await response.json() : {};
  } catch {
    return {};
  }
}

async function boot() {
  const config = embeddedConfig() || (await fetchedConfig());
  const html = document.documentElement;
  if (!THEMES.includes(html.dataset.theme)) html.dataset.theme = THEMES.includes(config.theme) ? config.theme : "default";
  if (!document.title || document.title.includes("__CHATSERVE_")) document.title = config.title || "chatserve";
  mountChat(document.getElementById("app"), config);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
else boot();
