// Builds web/dist/ from web/src/:
//   index.html            the page template (the server fills in its markers)
//   assets/scheme-*.js    a tiny classic script: the colour scheme, before the first paint
//   assets/app-*.js       the app, an ES module, and the chunks it imports (assets/chunk-*.js)
//   assets/app-*.css      the page's stylesheet
// and the parts the page loads only when the config or a message needs them: additional inputs
// and outputs, uploads, saved conversations, feedback, code highlighting, math (KaTeX and its
// fonts): ES module chunks (`import()`) and stylesheets (assets/<name>-*.css).
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
    plugins: [woff2Only],
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
  const unexpected = entries.filter((e) => e !== "index.html" && e !== "assets");
  if (unexpected.length && !entries.includes("index.html")) {
    throw new Error(`Refusing to empty "${outdir}": it holds ${unexpected.join(", ")} and no index.html.`);
  }
  for (const entry of entries) await rm(path.join(outdir, entry), { recursive: true, force: true });
}

function fill(template, placeholder, value) {
  const count = template.split(placeholder).length - 1;
  if (count !== 1) throw new Error(`src/index.html must contain "${placeholder}" once, found ${count}`);
  return template.replace(placeholder, value);
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

  await clean(outdir);
  await mkdir(path.join(outdir, "assets"), { recursive: true });
  const names = [...files.keys()].sort();
  for (const name of names) await writeFile(path.join(outdir, name), files.get(name));
  const eager = ["index.html", cssName, schemeName, `assets/${app.name}`, ...preload.map((l) => /href="([^"]+)"/.exec(l)[1])];
  console.log(`wrote ${names.length} files to ${path.relative(process.cwd(), outdir) || "."}\n  page: ${eager.join(", ")}`);
}

main().catch((err) => {
  console.error(err.message || err);
  process.exit(1);
});
