// Builds web/dist/ from web/src/: one script, one stylesheet (content-hashed names) and index.html.
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

function outdirFromArgs(argv) {
  const i = argv.findIndex((a) => a === "--outdir" || a.startsWith("--outdir="));
  if (i === -1) return process.env.CHATSERVE_WEB_OUTDIR || path.join(root, "dist");
  const value = argv[i].includes("=") ? argv[i].slice("--outdir=".length) : argv[i + 1];
  if (!value) throw new Error('"--outdir" needs a directory, e.g. "--outdir /tmp/web-dist".');
  return value;
}

async function bundle(entry) {
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [entry],
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
  });
  if (result.outputFiles.length !== 1) throw new Error(`${entry}: expected one output file`);
  return Buffer.from(result.outputFiles[0].contents);
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

async function main() {
  const outdir = path.resolve(outdirFromArgs(process.argv.slice(2)));
  const js = await bundle("src/main.js");
  const css = await bundle("src/app.css");
  const jsName = hashed("app.js", js);
  const cssName = hashed("app.css", css);

  let html = await readFile(path.join(root, "src/index.html"), "utf8");
  html = fill(html, 'href="assets/app.css"', `href="${cssName}"`);
  html = fill(html, 'src="assets/app.js"', `src="${jsName}"`);

  await clean(outdir);
  await mkdir(path.join(outdir, "assets"), { recursive: true });
  await writeFile(path.join(outdir, jsName), js);
  await writeFile(path.join(outdir, cssName), css);
  await writeFile(path.join(outdir, "index.html"), html);
  console.log(`wrote ${path.relative(process.cwd(), outdir) || "."}/{index.html,${jsName},${cssName}}`);
}

main().catch((err) => {
  console.error(err.message || err);
  process.exit(1);
});
