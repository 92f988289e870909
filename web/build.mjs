// Builds web/dist/ from web/src/:
//   index.html            the page template (the server fills in its markers)
//   assets/scheme-*.js    a tiny classic script: the colour scheme, before the first paint
//   assets/app-*.js       the app, an ES module, and the chunks it imports (assets/chunk-*.js)
//   assets/app-*.css      the page's stylesheet
// and the parts the page loads only when the config or a message needs them: additional inputs
// and outputs, uploads, saved conversations, feedback, code highlighting, math (KaTeX and its
// fonts), the "Use via API" panel: ES module chunks (`import()`) and stylesheets
// (assets/<name>-*.css).
// The API reference page is separate: the chat page never loads it.
//   docs.html             its template (the server fills in its markers, like index.html's)
//   assets/docs-*.js      Swagger UI and the code that starts it, an ES module
//   assets/docs-*.css     Swagger UI's stylesheet, restyled with the chat page's theme tokens
// The page's words: each language's catalog (src/texts/*.json) is a chunk the page loads when
// it shows that language (English is in the app and its parts, see `englishSections`), and is
// copied as it is for the server:
//   texts/*.json          it checks a bot's `texts:` against English and words the sign-in page
// The built-in themes but the default (src/themes/*.css) are copied as they are too: the server
// puts the one a bot uses in its page (the API reference page bundles them all).
//   themes/*.css
//
//   node build.mjs [--outdir DIR]      (or CHATSERVE_WEB_OUTDIR=DIR; default: web/dist)
//
// The output is byte-for-byte reproducible: same sources and lockfile, same bytes. Nothing in it
// depends on the time, the machine or the checkout's location, so tests/test_web_build.py can
// rebuild in a temporary directory and compare with the committed web/dist/.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = path.dirname(fileURLToPath(import.meta.url));

// The page must run where the CSP allows only same-origin scripts, in browsers from 2021 on.
const TARGET = ["chrome100", "edge100", "firefox100", "safari15"];

// Stylesheets loaded with a lazy part (see src/lazy.js), by name.
const LAZY_CSS = {
  inputs: "src/inputs.css",
  uploads: "src/uploads.css",
  history: "src/history.css",
  api: "src/api-panel.css",
  highlight: "src/lazy/highlight.css",
  math: "src/lazy/math.css",
};

function outdirFromArgs(argv) {
  const i = argv.findIndex((a) => a === "--outdir" || a.startsWith("--outdir="));
  if (i === -1) return process.env.CHATSERVE_WEB_OUTDIR || path.join(root, "dist");
  const value = argv[i].includes("=") ? argv[i].slice("--outdir=".length) : argv[i + 1];
  if (!value) throw new Error('"--outdir" needs a directory, e.g. "--outdir /tmp/web-dist".');
  return value;
}

// KaTeX's stylesheet lists each font as woff2, woff and ttf; every browser the page supports
// takes woff2, so the others are left out (and never shipped).
const woff2Only = {
  name: "woff2-only",
  setup(build) {
    build.onLoad({ filter: /katex\.min\.css$/ }, async (args) => {
      const css = await readFile(args.path, "utf8");
      return { contents: css.replace(/,url\([^)]+\.(?:woff|ttf)\) format\("(?:woff|truetype)"\)/g, ""), loader: "css" };
    });
  },
};

// English, in the app, has only the words of what every page shows: a part that loads later
// brings its section (`import words from "./texts/en.json?history"`), and the sign-in page's
// words are the server's alone. Other languages are whole catalogs, each a chunk of its own.
const LATER_TEXTS = ["feedback", "history", "inputs", "outputs", "table", "uploads"];
const SERVER_TEXTS = ["login"];
const englishSections = {
  name: "english-sections",
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/]texts[\\/]en\.json$/ }, async (args) => {
      const section = args.suffix.replace(/^\?/, "");
      if (section && !LATER_TEXTS.includes(section)) throw new Error(`texts/en.json${args.suffix}: "${section}" is not one of LATER_TEXTS in build.mjs`);
      const sectionOf = (key) => key.split(".")[0];
      const wanted = section ? (key) => sectionOf(key) === section : (key) => ![...LATER_TEXTS, ...SERVER_TEXTS].includes(sectionOf(key));
      const catalog = JSON.parse(await readFile(args.path, "utf8"));
      return { contents: JSON.stringify(Object.fromEntries(Object.entries(catalog).filter(([key]) => wanted(key)))), loader: "json" };
    });
  },
};

// Swagger UI's stylesheet in the chat page's terms: its dark rules follow <html
// data-color-scheme> (set by scheme.js on both pages) instead of a class of its own, and its
// fonts are the theme's.
const swaggerTokens = {
  name: "swagger-tokens",
  setup(build) {
    build.onLoad({ filter: /swagger-ui\.css$/ }, async (args) => {
      const css = (await readFile(args.path, "utf8"))
        .replaceAll("html.dark-mode", '[data-color-scheme="dark"]')
        .replaceAll("font-family:sans-serif", "font-family:var(--cs-font)")
        .replaceAll("font-family:monospace", "font-family:var(--cs-font-mono)");
      return { contents: css, loader: "css" };
    });
  },
};

// Returns the output files as [{name, bytes}] (names relative to the output directory).
async function bundle(entryPoints, options = {}) {
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints,
    bundle: true,
    minify: true,
    write: false,
    format: "iife",
    target: TARGET,
    charset: "ascii",
    legalComments: "eof",
    sourcemap: false,
    logLevel: "warning",
    outdir: "out",
    assetNames: "[name]-[hash]",
    loader: { ".woff2": "file" },
    plugins: [woff2Only, swaggerTokens, englishSections],
    ...options,
  });
  const out = path.join(root, "out");
  return result.outputFiles.map((f) => ({ name: path.relative(out, f.path).split(path.sep).join("/"), bytes: Buffer.from(f.contents) }));
}

function hashed(name, bytes) {
  const digest = createHash("sha256").update(bytes).digest("hex").slice(0, 10);
  const ext = path.extname(name);
  return `assets/${path.basename(name, ext)}-${digest}${ext}`;
}

// Empties the output directory, refusing one that does not look like an earlier build.
async function clean(outdir) {
  if (!existsSync(outdir)) return;
  const entries = await readdir(outdir);
  const unexpected = entries.filter((e) => !["index.html", "docs.html", "assets", "texts", "themes"].includes(e));
  if (unexpected.length && !entries.includes("index.html")) {
    throw new Error(`Refusing to empty "${outdir}": it holds ${unexpected.join(", ")} and no index.html.`);
  }
  for (const entry of entries) await rm(path.join(outdir, entry), { recursive: true, force: true });
}

function fill(template, placeholder, value, source = "src/index.html") {
  const count = template.split(placeholder).length - 1;
  if (count !== 1) throw new Error(`${source} must contain "${placeholder}" once, found ${count}`);
  return template.replace(placeholder, value);
}

// Swagger UI's licence and the notices of what its bundle includes, as comments at the end of
// the script (its own first line points to a file the package has but we do not ship).
async function swaggerNotices() {
  const dist = path.join(root, "node_modules/swagger-ui-dist");
  const read = (name) => readFile(path.join(dist, name), "utf8");
  const { version } = JSON.parse(await read("package.json"));
  const [notice, license, bundled] = await Promise.all([read("NOTICE"), read("LICENSE"), read("swagger-ui-bundle.js.LICENSE.txt")]);
  if ((notice + license).includes("*/")) throw new Error("swagger-ui-dist's NOTICE or LICENSE would end a comment early");
  return `/*! swagger-ui-dist ${version}: its NOTICE and LICENSE, then swagger-ui-bundle.js.LICENSE.txt\n\n${notice}\n${license}*/\n${bundled}`;
}

// The API reference page: docs.html and its own script and stylesheet; it shares the chat
// page's colour scheme script (`schemeName`).
async function docsPage(files, sheetOf, schemeName) {
  const [sheet, assets] = sheetOf(await bundle(["src/docs/docs.css"]));
  const cssName = hashed("docs.css", sheet.bytes);
  files.set(cssName, sheet.bytes);
  for (const asset of assets) files.set(`assets/${asset.name}`, asset.bytes);
  const [{ bytes: script }] = await bundle(["src/docs/main.js"], { format: "esm", footer: { js: await swaggerNotices() } });
  const scriptName = hashed("docs.js", script);
  files.set(scriptName, script);

  const source = "src/docs/index.html";
  let html = await readFile(path.join(root, source), "utf8");
  html = fill(html, "/assets/docs.css", `/${cssName}`, source);
  html = fill(html, "/assets/docs.js", `/${scriptName}`, source);
  html = fill(html, "/assets/scheme.js", `/${schemeName}`, source);
  files.set("docs.html", Buffer.from(html));
  return ["docs.html", cssName, scriptName];
}

// The chunks a module imports statically (`import ... from "./chunk-X.js"`), not `import()`.
function staticImports(code) {
  return [...code.toString("utf8").matchAll(/(?:\bfrom|\bimport)\s*"\.\/([\w.-]+\.js)"/g)].map((m) => m[1]);
}

async function main() {
  const outdir = path.resolve(outdirFromArgs(process.argv.slice(2)));
  const files = new Map(); // path in dist -> bytes

  // Stylesheets: the page's, then each lazy part's (with their fonts).
  const sheetOf = (outputs) => [outputs.find((f) => f.name.endsWith(".css")), outputs.filter((f) => !f.name.endsWith(".css"))];
  const [{ bytes: css }] = sheetOf(await bundle(["src/app.css"]));
  const cssName = hashed("app.css", css);
  files.set(cssName, css);
  const lazyCss = {};
  for (const [name, entry] of Object.entries(LAZY_CSS)) {
    const [sheet, assets] = sheetOf(await bundle([entry]));
    lazyCss[name] = hashed(`${name}.css`, sheet.bytes);
    files.set(lazyCss[name], sheet.bytes);
    for (const asset of assets) files.set(`assets/${asset.name}`, asset.bytes);
  }

  // Scripts: the scheme (classic), the app (a module) and its chunks (esbuild's content hashes).
  const [{ bytes: scheme }] = await bundle(["src/scheme.js"]);
  const schemeName = hashed("scheme.js", scheme);
  files.set(schemeName, scheme);
  const modules = await bundle({ app: "src/main.js" }, {
    format: "esm",
    splitting: true,
    entryNames: "[name]-[hash]",
    chunkNames: "chunk-[hash]",
    define: { __CHATSERVE_CSS__: JSON.stringify(lazyCss) },
  });
  for (const { name, bytes } of modules) files.set(`assets/${name}`, bytes);
  const app = modules.find((m) => m.name.startsWith("app-"));
  const preload = [];
  for (let i = 0, queue = [app.name]; i < queue.length; i += 1) {
    for (const dep of staticImports(files.get(`assets/${queue[i]}`))) {
      if (!queue.includes(dep)) {
        queue.push(dep);
        preload.push(`<link rel="modulepreload" href="assets/${dep}">`);
      }
    }
  }

  let html = await readFile(path.join(root, "src/index.html"), "utf8");
  html = fill(html, 'href="assets/app.css"', `href="${cssName}"`);
  html = fill(html, 'src="assets/scheme.js"', `src="${schemeName}"`);
  html = fill(html, '<script type="module" src="assets/app.js"></script>', [`<script type="module" src="assets/${app.name}"></script>`, ...preload].join("\n"));
  files.set("index.html", Buffer.from(html));
  const docs = await docsPage(files, sheetOf, schemeName);
  const catalogs = (await readdir(path.join(root, "src/texts"))).filter((name) => name.endsWith(".json")).sort();
  for (const name of catalogs) files.set(`texts/${name}`, await readFile(path.join(root, "src/texts", name)));
  const themes = (await readdir(path.join(root, "src/themes"))).filter((name) => name.endsWith(".css")).sort();
  for (const name of themes) files.set(`themes/${name}`, await readFile(path.join(root, "src/themes", name)));

  await clean(outdir);
  await mkdir(path.join(outdir, "assets"), { recursive: true });
  await mkdir(path.join(outdir, "texts"), { recursive: true });
  await mkdir(path.join(outdir, "themes"), { recursive: true });
  const names = [...files.keys()].sort();
  for (const name of names) await writeFile(path.join(outdir, name), files.get(name));
  const eager = ["index.html", cssName, schemeName, `assets/${app.name}`, ...preload.map((l) => /href="([^"]+)"/.exec(l)[1])];
  console.log(`wrote ${names.length} files to ${path.relative(process.cwd(), outdir) || "."}\n  page: ${eager.join(", ")}\n  API reference: ${docs.join(", ")}`);
}

main().catch((err) => {
  console.error(err.message || err);
  process.exit(1);
});
