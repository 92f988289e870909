// The "Use via API" panel (`show_api`): a modal side sheet with ready-to-paste code for this bot
// (snippets.js), one tab per client, each with its endpoint and a Copy button; a note on tokens;
// the additional inputs in the order `inputs` takes them; a link to the full reference. A lazy
// part (lazy.js): it loads when the footer's link is first used.
import { copyButton } from "./buttons.js";
import { h, syncChildren } from "./dom.js";
import { icon } from "./icons.js";
import { codeBlock, renderInto } from "./markdown.js";
import { literal, snippets } from "./snippets.js";
import { onTexts, t } from "./texts.js";

const CLIENTS = ["curl", "python", "openai"];
const LANGS = { curl: "bash", python: "python", openai: "python" };
let uid = 0;

// An absolute URL for a path relative to the page: what a page under a path prefix (`root_path`)
// calls is what the snippets call.
const at = (path) => new URL(path, document.baseURI).href;

/** What the snippets need from a public config (see snippets.js). */
export function apiOf(config) {
  const api = config.api || {};
  return {
    chat: at(api.chat || "api/chat"),
    upload: at(api.upload || "api/upload"),
    openai: at("v1"),
    model: api.model || "chatserve",
    token: config.auth === true,
    inputs: (Array.isArray(config.additional_inputs) ? config.additional_inputs : []).map((spec) => ({ ...spec, value: spec.value ?? null })),
    multimodal: config.multimodal === true,
    reference: api.reference ? at(api.reference) : null,
  };
}

// What an input accepts, shortly: its range or its choices.
function accepts(spec) {
  if (typeof spec.minimum === "number" && typeof spec.maximum === "number") return `${spec.minimum} – ${spec.maximum}`;
  if (Array.isArray(spec.file_types)) return spec.file_types.join(", ");
  if (Array.isArray(spec.choices) && spec.choices.length) return spec.choices.map((choice) => literal(Array.isArray(choice) ? choice[1] : choice)).join(" | ");
  return "";
}

export class ApiPanel {
  constructor() {
    const id = `cs-api-${(uid += 1)}`;
    this.id = id;
    this.selected = CLIENTS[0];
    this.shown = null;
    this.title = h("h2", { id: `${id}-title`, class: "cs-api-title" });
    this.lead = h("p", { class: "cs-api-lead" });
    this.closeButton = h("button", { type: "button", class: "cs-icon-btn cs-api-close" }, [icon("x")]);
    this.closeButton.addEventListener("click", () => this.close());
    this.tabs = h("div", { role: "tablist", class: "cs-api-tabs" });
    this.tabs.addEventListener("keydown", (e) => this.tabKey(e));
    this.panels = h("div", { class: "cs-api-panels" });
    this.note = h("div", { class: "cs-api-note" });
    this.inputs = h("section", { class: "cs-api-inputs" });
    this.reference = h("a", { class: "cs-api-reference", target: "_blank", rel: "noopener" });
    const sheet = h("div", { class: "cs-api-sheet" }, [
      h("header", { class: "cs-api-head" }, [h("span", { class: "cs-api-badge", "aria-hidden": "true" }, [icon("code")]), h("div", { class: "cs-api-heading" }, [this.title, this.lead]), this.closeButton]),
      h("div", { class: "cs-api-body" }, [this.tabs, this.panels, this.note, this.inputs]),
      h("footer", { class: "cs-api-foot" }, [this.reference]),
    ]);
    this.el = h("dialog", { class: "cs-api", "aria-labelledby": `${id}-title` }, [sheet]);
    // Escape closes the panel, and only the panel (on the page it would also stop a reply).
    this.el.addEventListener("keydown", (e) => {
      if (e.key !== "Escape") return;
      e.preventDefault();
      e.stopPropagation();
      this.close();
    });
    this.el.addEventListener("cancel", (e) => {
      e.preventDefault();
      this.close();
    });
    // A click on the backdrop (outside the sheet) closes it.
    this.el.addEventListener("click", (e) => {
      if (e.target === this.el) this.close();
    });
    this.el.addEventListener("close", () => {
      if (this.opener && this.opener.isConnected) this.opener.focus();
    });
    document.body.append(this.el);
    onTexts(() => this.set(this.config)); // the page's language changed
  }

  get isOpen() {
    return this.el.open;
  }

  /** Opens the panel for `config`; focus returns to `opener` when it closes. */
  open(config, opener) {
    this.opener = opener;
    this.set(config);
    if (!this.el.open) this.el.showModal();
    this.tab(this.selected).focus();
  }

  close() {
    if (this.el.open) this.el.close();
  }

  /** Shows `config`'s snippets; a live reload calls it again, and only what changed is rebuilt. */
  set(config) {
    this.config = config || {};
    const bot = apiOf(this.config);
    const shown = JSON.stringify([bot, t("api.title")]);
    if (shown === this.shown) return;
    this.shown = shown;
    const hadFocus = this.el.contains(document.activeElement);
    this.title.textContent = t("api.title");
    this.lead.textContent = t("api.lead");
    this.closeButton.setAttribute("aria-label", t("api.close"));
    this.closeButton.title = t("api.close");
    this.tabs.setAttribute("aria-label", t("api.clients"));
    const code = snippets(bot);
    const built = CLIENTS.map((client) => this.client(client, code[client], bot));
    syncChildren(this.tabs, built.map((b) => b.tab));
    syncChildren(this.panels, built.map((b) => b.panel));
    this.select(this.selected);
    const note = bot.token ? "api.token" : "api.open";
    this.note.replaceChildren(icon("key"), h("div", { class: "cs-md" }));
    this.note.classList.toggle("cs-api-note-token", bot.token);
    renderInto(this.note.lastChild, t(note));
    this.showInputs(bot.inputs);
    this.reference.hidden = !bot.reference;
    this.reference.href = bot.reference || "";
    this.reference.replaceChildren(t("api.reference"), icon("external"));
    if (hadFocus && !this.el.contains(document.activeElement)) this.tab(this.selected).focus();
  }

  // One client's tab and panel: what it is, its endpoint, its code.
  client(name, code, bot) {
    const tabId = `${this.id}-tab-${name}`;
    const panelId = `${this.id}-panel-${name}`;
    const tab = h("button", { type: "button", role: "tab", id: tabId, class: "cs-api-tab", "aria-controls": panelId, "data-client": name, text: t(`api.tab.${name}`) });
    tab.addEventListener("click", () => this.select(name));
    const rows =
      name === "openai"
        ? [this.row("base_url", bot.openai, t("api.copy_url")), this.row("model", bot.model, t("api.copy_model"))]
        : [this.row("POST", bot.chat, t("api.copy_url"))];
    const about = h("div", { class: "cs-api-about cs-md" });
    renderInto(about, t(`api.about.${name}`));
    const block = h("div", { class: "cs-md cs-api-code" }, [codeBlock(code, LANGS[name])]);
    const panel = h("div", { role: "tabpanel", id: panelId, class: "cs-api-panel", "aria-labelledby": tabId, "data-client": name }, [
      about,
      h("dl", { class: "cs-api-endpoint" }, rows),
      block,
    ]);
    return { tab, panel };
  }

  // A name and a value to copy (its Copy button named `copy`): the endpoint, the base URL, the model.
  row(key, value, copy) {
    return h("div", { class: "cs-api-row" }, [
      h("dt", { class: "cs-api-key", text: key }),
      h("dd", {}, [h("code", { class: "cs-api-value", text: value }), copyButton(() => value, copy)]),
    ]);
  }

  showInputs(inputs) {
    this.inputs.hidden = !inputs.length;
    if (!inputs.length) return;
    const about = h("div", { class: "cs-api-about cs-md" });
    renderInto(about, t("api.inputs.about"));
    const rows = inputs.map((spec, i) =>
      h("li", { class: "cs-api-input" }, [
        h("span", { class: "cs-api-index", text: String(i) }),
        h("span", { class: "cs-api-input-name" }, [h("span", { class: "cs-api-input-label", text: spec.label }), h("span", { class: "cs-api-input-type", text: spec.type })]),
        h("span", { class: "cs-api-input-accepts", text: accepts(spec) }),
        h("span", { class: "cs-api-input-default" }, [h("span", { class: "cs-api-input-default-label", text: t("api.inputs.default") }), h("code", { text: literal(spec.value) })]),
      ]),
    );
    this.inputs.replaceChildren(h("h3", { class: "cs-api-subtitle", text: t("api.inputs") }), about, h("ol", { class: "cs-api-input-list" }, rows));
  }

  tab(name) {
    return this.tabs.querySelector(`[data-client="${name}"]`);
  }

  select(name) {
    this.selected = name;
    for (const tab of this.tabs.children) {
      const selected = tab.dataset.client === name;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
    }
    for (const panel of this.panels.children) panel.hidden = panel.dataset.client !== name;
  }

  // Arrow keys, Home and End move between the tabs (and show their panels).
  tabKey(e) {
    const i = CLIENTS.indexOf(this.selected);
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: CLIENTS.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    const name = CLIENTS[(next + CLIENTS.length) % CLIENTS.length];
    this.select(name);
    this.tab(name).focus();
  }
}
