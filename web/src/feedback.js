// Feedback on a reply (`flagging_mode: manual`): "Like" and "Dislike" as thumbs, every other
// option in a small "Flag" menu. One choice at a time; choosing the active one takes it back.
import { h } from "./dom.js";
import { icon } from "./icons.js";
import english from "./texts/en.json?feedback" with { type: "json" };
import { addEnglish, label, phrase, t } from "./texts.js";

addEnglish(english);

// The options shown as thumbs: their icons and names (the option itself is what the server gets).
const THUMBS = { Like: ["up", "feedback.like"], Dislike: ["down-thumb", "feedback.dislike"] };

export class Feedback {
  /** `choose(option | null)` sends the choice and resolves to whether the server took it. */
  constructor(options, selected, choose) {
    this.selected = selected;
    this.choose = choose;
    this.buttons = new Map();
    this.el = h("div", { class: "cs-feedback-inner" });
    for (const name of Object.keys(THUMBS)) {
      if (!options.includes(name)) continue;
      const [iconName, key] = THUMBS[name];
      const el = h("button", { type: "button", class: "cs-icon-btn cs-thumb", "aria-label": phrase(key), title: phrase(key) }, [icon(iconName)]);
      el.addEventListener("click", () => this.pick(name));
      this.buttons.set(name, el);
      this.el.append(el);
    }
    const others = options.filter((o) => !(o in THUMBS));
    if (others.length) this.el.append(this.menu(others));
    this.note = h("span", { class: "cs-feedback-note", role: "status" });
    this.el.append(this.note);
    this.render();
  }

  menu(options) {
    this.toggle = h("button", { type: "button", class: "cs-icon-btn cs-flag", "aria-label": phrase("feedback.flag"), title: phrase("feedback.flag"), "aria-haspopup": "menu", "aria-expanded": "false" }, [icon("flag")]);
    this.list = h("div", { class: "cs-menu", role: "menu", "aria-label": phrase("feedback.flag"), hidden: true });
    this.items = options.map((option) => {
      const item = h("button", { type: "button", class: "cs-menu-item", role: "menuitemradio", tabindex: "-1" }, [icon("check"), h("span", { text: option })]);
      item.addEventListener("click", () => {
        this.open(false);
        this.toggle.focus();
        this.pick(option);
      });
      item.option = option;
      return item;
    });
    this.list.append(...this.items);
    this.toggle.addEventListener("click", () => this.open(this.list.hidden));
    this.list.addEventListener("keydown", (e) => {
      const i = this.items.indexOf(document.activeElement);
      const move = { ArrowDown: 1, ArrowUp: -1, Home: -i, End: this.items.length - 1 - i }[e.key];
      if (move !== undefined) {
        e.preventDefault();
        this.items[(i + move + this.items.length) % this.items.length].focus();
      } else if (e.key === "Escape") {
        e.preventDefault();
        this.open(false);
        this.toggle.focus();
      } else if (e.key === "Tab") this.open(false);
    });
    this.outside = (e) => {
      if (!this.wrap.contains(e.target)) this.open(false);
    };
    this.wrap = h("div", { class: "cs-menu-wrap" }, [this.toggle, this.list]);
    return this.wrap;
  }

  open(show) {
    if (!this.list || show === !this.list.hidden) return;
    this.list.hidden = !show;
    this.toggle.setAttribute("aria-expanded", String(show));
    if (!show) {
      document.removeEventListener("pointerdown", this.outside, true);
      return;
    }
    document.addEventListener("pointerdown", this.outside, true);
    // Opens upwards unless that would leave the window; ends at the button's end when it would
    // run past the window's edge.
    const at = this.toggle.getBoundingClientRect();
    this.list.classList.toggle("cs-menu-down", at.top < this.list.offsetHeight + 16);
    this.list.classList.toggle("cs-menu-end", at.left + this.list.offsetWidth > document.documentElement.clientWidth - 8);
    (this.items.find((item) => item.option === this.selected) || this.items[0]).focus();
  }

  async pick(option) {
    const previous = this.selected;
    this.selected = previous === option ? null : option;
    this.render();
    this.note.textContent = "";
    if (await this.choose(this.selected)) return;
    this.selected = previous;
    this.render();
    this.note.textContent = t("feedback.not_sent");
    setTimeout(() => (this.note.textContent = ""), 4000);
  }

  render() {
    for (const [name, el] of this.buttons) el.setAttribute("aria-pressed", String(this.selected === name));
    if (!this.toggle) return;
    const flagged = !!this.items.find((item) => item.option === this.selected);
    this.toggle.classList.toggle("cs-active", flagged);
    label(this.toggle, "title", phrase(flagged ? "feedback.flagged" : "feedback.flag", { option: this.selected }));
    for (const item of this.items) item.setAttribute("aria-checked", String(item.option === this.selected));
  }
}
