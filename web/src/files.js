// Rich message content: files (FileRef) and components (image, audio, video, file, html, plot,
// gallery). URLs are only ever used as src/href when they are relative or http(s).
import { h } from "./dom.js";
import { icon } from "./icons.js";
import { sanitizeHtml } from "./markdown.js";
import { formatNumber, phrase, t } from "./texts.js";

const LINK = { target: "_blank", rel: "noopener noreferrer" };
const EXTENSIONS = {
  image: /\.(png|jpe?g|gif|webp|avif|svg|bmp)$/i,
  audio: /\.(mp3|wav|ogg|oga|m4a|aac|flac|opus)$/i,
  video: /\.(mp4|webm|mov|m4v|ogv)$/i,
};

/** A same-origin relative URL or an http(s) URL, resolved; anything else (javascript:, data:...) is null. */
export function safeUrl(value) {
  if (typeof value !== "string" || !value) return null;
  try {
    const url = new URL(value, document.baseURI);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

/** "image", "audio", "video" or "file", from the MIME type (or the file name when that says nothing). */
export function mediaKind(file) {
  const mime = String(file.mime_type || "").toLowerCase();
  for (const kind of ["image", "audio", "video"]) if (mime.startsWith(`${kind}/`)) return kind;
  if (!mime || mime === "application/octet-stream") {
    const name = String(file.name || file.url || "").split(/[?#]/)[0];
    for (const kind in EXTENSIONS) if (EXTENSIONS[kind].test(name)) return kind;
  }
  return "file";
}

/** 1500 -> "1.5 KB" (in the page's language); "" when unknown. */
export function formatSize(bytes) {
  if (typeof bytes !== "number" || !(bytes >= 0)) return "";
  // In thousands, as configs count them: `max_file_size: 50MB` shows as "50 MB".
  if (bytes < 1000) return t("sizes.bytes", { n: formatNumber(bytes) });
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < 3) {
    value /= 1000;
    unit += 1;
  }
  return t(`sizes.${["kilobytes", "megabytes", "gigabytes", "terabytes"][unit]}`, { n: formatNumber(value, value < 10 ? 1 : 0) });
}

/** The file's name for people: its name, else the last part of its URL. */
export function fileName(file) {
  if (file && typeof file.name === "string" && file.name) return file.name;
  const tail = String((file && file.url) || "").split(/[?#]/)[0].split("/").pop();
  try {
    return decodeURIComponent(tail) || "file";
  } catch {
    return tail || "file";
  }
}

function extension(name) {
  const match = /\.([a-z0-9]{1,5})$/i.exec(name);
  return match ? match[1].toUpperCase() : "FILE";
}

function image(url, alt) {
  return h("a", { class: "cs-media cs-image", href: url, ...LINK }, [h("img", { src: url, alt, loading: "lazy" })]);
}

/** A download card: type badge, name, size. */
export function fileCard(file, url) {
  const name = fileName(file);
  const size = formatSize(file.size);
  return h("a", { class: "cs-file", href: url, download: name, ...LINK }, [
    h("span", { class: "cs-file-badge", "aria-hidden": "true" }, [icon("file"), h("span", { text: extension(name) })]),
    h("span", { class: "cs-file-text" }, [
      h("span", { class: "cs-file-name", text: name }),
      h("span", { class: "cs-file-meta" }, [size && `${size} \u00b7 `, h("span", { text: phrase("files.download") })]),
    ]),
    icon("download"),
  ]);
}

/** A download button for a file shown as media (hidden when `allow_file_downloads` is false). */
export function downloadButton(file) {
  const url = safeUrl(file.url);
  const name = fileName(file);
  return url ? h("a", { class: "cs-dl cs-dl-over", href: url, download: name, ...LINK, "aria-label": phrase("files.download_name", { name }), title: phrase("files.download") }, [icon("download")]) : "";
}

/** Shows a FileData by kind: <img>, an audio player, a <video> or a download card. */
export function renderFile(file, { alt = "", kind = mediaKind(file) } = {}) {
  const url = safeUrl(file.url);
  if (!url) return null;
  const name = fileName(file);
  if (kind === "image") return image(url, alt || name);
  if (kind === "audio") {
    return h("div", { class: "cs-audio" }, [
      h("div", { class: "cs-audio-head" }, [
        h("span", { class: "cs-audio-icon", "aria-hidden": "true" }, [icon("music")]),
        h("span", { class: "cs-file-name", text: name }),
        h("a", { class: "cs-icon-btn cs-dl", href: url, download: name, ...LINK, "aria-label": phrase("files.download_name", { name }), title: phrase("files.download") }, [icon("download")]),
      ]),
      h("audio", { src: url, controls: true, preload: "metadata", "aria-label": alt || name }),
    ]);
  }
  if (kind === "video") {
    return h("video", { class: "cs-media cs-video", src: url, controls: true, preload: "metadata", playsinline: true, "aria-label": alt || name });
  }
  return fileCard(file, url);
}

function gallery(items) {
  const list = h("ul", { class: "cs-gallery", "aria-label": phrase("files.gallery") });
  for (const item of Array.isArray(items) ? items : []) {
    const file = item && typeof item === "object" ? item.file : null;
    const url = file && safeUrl(file.url);
    if (!url) continue;
    const caption = typeof item.caption === "string" ? item.caption : "";
    const video = mediaKind(file) === "video";
    const label = caption || fileName(file);
    list.append(
      h("li", {}, [
        h("a", { class: "cs-gallery-item", href: url, ...LINK, "aria-label": video ? phrase("files.video", { name: label }) : null, title: label }, [
          video
            ? h("video", { src: url, muted: true, preload: "metadata", playsinline: true, "aria-hidden": "true", tabindex: "-1" })
            : h("img", { src: url, alt: label, loading: "lazy" }),
          video ? h("span", { class: "cs-gallery-play", "aria-hidden": "true" }, [icon("play")]) : "",
          caption ? h("span", { class: "cs-gallery-caption", text: caption, "aria-hidden": "true" }) : "",
        ]),
      ]),
    );
  }
  list.classList.toggle("cs-gallery-one", list.childElementCount === 1);
  return list.childElementCount ? list : null;
}

/**
 * Renders non-text message content (a FileRef or a Component) to a node, or null when it is not
 * something this page can show.
 */
export function renderRich(content) {
  if (!content || typeof content !== "object") return null;
  const kind = content.component;
  if (kind === "html") {
    const box = h("div", { class: "cs-md cs-html" });
    box.append(sanitizeHtml(content.html));
    return box;
  }
  if (kind === "gallery") return gallery(content.items);
  const file = content.file && typeof content.file === "object" ? content.file : null;
  if (!file) return null;
  const alt = typeof content.alt_text === "string" ? content.alt_text : "";
  if (kind === "plot") {
    const mime = String(file.mime_type || "").toLowerCase();
    const url = safeUrl(file.url);
    if (url && mime.startsWith("text/html")) {
      // The server serves it with a sandboxing CSP; the frame adds its own sandbox on top.
      return h("iframe", { class: "cs-plot", src: url, sandbox: "allow-scripts", title: alt || phrase("files.plot"), loading: "lazy" });
    }
    return renderFile(file, { alt: alt || t("files.plot"), kind: mime.startsWith("image/") ? "image" : "file" });
  }
  const forced = { image: "image", audio: "audio", video: "video", file: "file" }[kind];
  return renderFile(file, { alt, kind: forced || mediaKind(file) });
}

/** What to show in place of content that cannot be shown. */
export function unsupported(content) {
  const kind = content && typeof content === "object" && typeof content.component === "string" ? content.component : "content";
  return h("p", { class: "cs-unsupported", text: phrase("files.unsupported", { kind }) });
}
