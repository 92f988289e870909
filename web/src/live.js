// Live reload: follows the server's config events (`GET api/events`, server-sent events). A
// `reload` applies the new config in place; an `error` shows the config-error overlay, which the
// next `reload` removes. <html data-revision> holds the revision of the config the page shows.
import { focusVisible, h } from "./dom.js";
import { icon } from "./icons.js";
import { prepare } from "./lazy.js";
import { label, phrase, t } from "./texts.js";

/** Records the config revision the page has applied, as <html data-revision>. */
export function markRevision(revision) {
  if (typeof revision === "number" && Number.isFinite(revision)) document.documentElement.dataset.revision = String(revision);
}

/** A problem as [`file:line:column`, `path: message`], leaving out the parts it does not have. */
function problemParts(problem) {
  if (!problem || typeof problem !== "object") return ["", String(problem ?? "")];
  const place = [];
  for (const part of [problem.file, problem.line, problem.column]) {
    if (part == null || part === "") break;
    place.push(String(part));
  }
  const path = Array.isArray(problem.path) ? problem.path.join(".") : problem.path;
  const rest = [path, problem.message].filter((part) => part != null && part !== "").map(String);
  return [place.join(":"), rest.join(": ")];
}

/** The non-blocking overlay listing what is wrong with the config on disk. */
class ConfigErrors {
  constructor(onFocusAway) {
    this.onFocusAway = onFocusAway;
    this.list = h("ul", { class: "cs-problems" });
    this.scroll = h("div", { class: "cs-problems-scroll" }, [this.list]);
    const dismiss = h("button", { type: "button", class: "cs-icon-btn cs-config-error-close", "aria-label": phrase("live.dismiss"), title: phrase("live.dismiss") }, [icon("x")]);
    dismiss.addEventListener("click", () => this.hide());
    this.el = h("section", { class: "cs-config-error", role: "alert" }, [
      h("div", { class: "cs-config-error-head" }, [
        icon("alert"),
        h("div", { class: "cs-config-error-text" }, [
          h("h2", { class: "cs-config-error-title", text: phrase("live.title") }),
          h("p", { class: "cs-config-error-hint", text: phrase("live.hint") }),
        ]),
        dismiss,
      ]),
      this.scroll,
    ]);
    this.el.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        this.hide();
      }
    });
  }

  /** Shows (or replaces) the list of problems. */
  show(root, problems) {
    const items = (Array.isArray(problems) ? problems : []).map(problemParts).filter(([place, rest]) => place || rest);
    if (!items.length) items.push(["", t("live.unknown")]);
    // Each as `file:line:column: path: message`, the place standing out.
    this.list.replaceChildren(
      ...items.map(([place, rest]) =>
        h("li", {}, place ? [h("span", { class: "cs-problem-place", text: place }), rest ? `: ${rest}` : ""] : [rest]),
      ),
    );
    if (!this.el.isConnected) root.prepend(this.el);
    // A list too long for the panel scrolls; keyboard users can focus it to scroll.
    requestAnimationFrame(() => {
      const scrolls = this.scroll.scrollHeight > this.scroll.clientHeight + 1;
      if (scrolls) {
        this.scroll.tabIndex = 0;
        label(this.scroll, "aria-label", phrase("live.problems"));
      } else {
        this.scroll.removeAttribute("tabindex");
        label(this.scroll, "aria-label", null);
      }
    });
  }

  /** Removes the overlay; a keyboard user's focus inside it goes to the message box. */
  hide() {
    if (!this.el.isConnected) return;
    const active = document.activeElement;
    const keyboard = this.el.contains(active) && focusVisible(active);
    this.el.remove();
    if (keyboard) this.onFocusAway();
  }
}

function parse(data) {
  try {
    const value = JSON.parse(data);
    return value && typeof value === "object" ? value : null;
  } catch {
    return null;
  }
}

// A tab hidden this long lets go of its connection (browsers allow only a few per server over
// HTTP/1.1) and catches up when it is shown again: the server sends what it missed.
const HIDDEN_MS = 15000;

/**
 * Follows `config.api.events` (nothing to follow when it is null): applies each `reload` with
 * `chat.apply`, shows each `error` in the overlay. EventSource reconnects by itself (sending
 * Last-Event-ID); when it gives up (an HTTP error), it is opened again after a growing pause.
 */
export function followConfig(root, chat, config) {
  const overlay = new ConfigErrors(() => chat.focus());
  let revision = config.revision;
  let events = config.api ? config.api.events : null;
  let source = null;
  let timer = 0;
  let failures = 0;
  let applying = Promise.resolve();

  const connect = () => {
    clearTimeout(timer);
    if (source) source.close();
    source = null;
    if (typeof events !== "string" || !events) return;
    const url = new URL(events, document.baseURI);
    if (revision != null) url.searchParams.set("revision", String(revision));
    const es = new EventSource(url.href);
    source = es;
    es.addEventListener("open", () => {
      failures = 0;
    });
    es.addEventListener("reload", (e) => {
      const data = parse(e.data);
      if (!data || !data.config || typeof data.config !== "object") return;
      // In order, each once the parts of the page it needs have loaded (at once when they have).
      applying = applying.then(() => prepare(data.config)).then(() => {
        try {
          chat.apply(data.config);
        } catch (err) {
          console.error("chatserve: could not apply the new config", err);
          return;
        }
        overlay.hide();
        revision = data.revision ?? data.config.revision ?? revision;
        markRevision(revision);
        const next = data.config.api ? data.config.api.events : null;
        if (next !== events) {
          events = next;
          connect();
        }
      });
    });
    // Both the server's `event: error` (a MessageEvent with data) and connection failures.
    es.addEventListener("error", (e) => {
      if (typeof e.data === "string") {
        const data = parse(e.data);
        if (data) applying = applying.then(() => overlay.show(root, data.problems));
      } else if (es.readyState === EventSource.CLOSED && source === es) {
        failures = Math.min(failures + 1, 6);
        timer = setTimeout(connect, 1000 * 2 ** failures);
      }
    });
  };
  let hiddenTimer = 0;
  document.addEventListener("visibilitychange", () => {
    clearTimeout(hiddenTimer);
    if (document.hidden) {
      hiddenTimer = setTimeout(() => {
        clearTimeout(timer);
        if (source) source.close();
        source = null;
      }, HIDDEN_MS);
    } else if (!source) connect();
  });
  connect();
}
