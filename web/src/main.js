// Boot (scheme.js has set the colour scheme before the first paint): build the page from the
// config that the server embedded in the page (or, when it is missing, from GET api/config), once
// the parts it needs have loaded, then follow config changes (live reload) when the server
// offers them.
import { mountChat } from "./chat.js";
import { prepare } from "./lazy.js";
import { followConfig, markRevision } from "./live.js";
import { initColorScheme } from "./theme.js";

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
  await prepare(config);
  const root = document.getElementById("app");
  const chat = mountChat(root, config);
  markRevision(config.revision);
  followConfig(root, chat, config);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
else boot();
