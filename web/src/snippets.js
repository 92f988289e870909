// The "Use via API" panel's code, without the DOM: one turn sent to the bot with curl (the
// native route, answered as JSON), with Python's httpx (the native route, streamed) and with the
// `openai` package (the OpenAI-compatible route, streamed). The additional inputs' values are
// their defaults, in declaration order; with `token`, every request carries
// `Authorization: Bearer $CHATSERVE_TOKEN`.
import { t } from "./texts.js";

/** `value` (JSON data) as a JSON (`lang` "json") or Python ("python") literal, on one line. */
export function literal(value, lang = "json") {
  if (value === null || value === undefined) return lang === "python" ? "None" : "null";
  if (typeof value === "boolean") return lang === "python" ? (value ? "True" : "False") : String(value);
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : lang === "python" ? "None" : "null";
  if (typeof value === "string") return JSON.stringify(value); // JSON's escapes are Python's too
  if (Array.isArray(value)) return `[${value.map((item) => literal(item, lang)).join(", ")}]`;
  return `{${Object.entries(value)
    .map(([key, item]) => `${JSON.stringify(key)}: ${literal(item, lang)}`)
    .join(", ")}}`;
}

/** `text` as one word of a POSIX shell: as it is when that is safe, else single-quoted. */
export function shellQuote(text) {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

/**
 * The snippets for a bot: `{curl, python, openai}`, each code as text. `bot` holds the absolute
 * URLs `chat`, `upload` and `openai` (the `/v1` base), the `model` id, `token` (whether requests
 * need one), `inputs` (the additional inputs' public specs: `label`, `value`) and `multimodal`.
 */
export function snippets(bot) {
  const inputs = Array.isArray(bot.inputs) ? bot.inputs : [];
  return { curl: curl(bot, inputs), python: python(bot, inputs), openai: openai(bot, inputs) };
}

const values = (inputs, lang) => literal(inputs.map((spec) => spec.value ?? null), lang);
const labels = (inputs) => inputs.map((spec) => spec.label).join(", ");
// A comment per file or image input on how to fill it (its default, null or [], sends none).
const fileNotes = (bot, inputs, key) =>
  inputs.flatMap((spec, i) => (spec.type === "file" || spec.type === "image" ? [`# ${t(key, { label: spec.label, url: `${bot.upload}?input=${i}` })}`] : []));

function curl(bot, inputs) {
  const auth = bot.token ? [`  -H "Authorization: Bearer $CHATSERVE_TOKEN" \\`] : [];
  const fields = [`"message": ${literal(t("api.code.message"))}`, `"history": []`];
  if (inputs.length) fields.push(`"inputs": ${values(inputs)}`);
  const body = `{\n${fields.map((field) => `    ${field}`).join(",\n")}\n  }`;
  const lines = [
    ...(inputs.length ? [`# inputs: ${labels(inputs)}`] : []),
    ...fileNotes(bot, inputs, "api.code.input_file"),
    `curl ${shellQuote(bot.chat)} \\`,
    ...auth,
    `  -H 'Content-Type: application/json' \\`,
    `  -d ${shellQuote(body)}`,
    "",
    `# ${t("api.code.stream")}.`,
  ];
  if (bot.multimodal) {
    const header = bot.token ? ` -H "Authorization: Bearer $CHATSERVE_TOKEN"` : "";
    lines.push(
      `# ${t("api.code.files")}:`,
      `#   curl ${shellQuote(bot.upload)}${header} -F files=@photo.png`,
      `#   "message": {"text": ${literal(t("api.code.message"))}, "files": ["<id>"]}`,
    );
  }
  return lines.join("\n");
}

function python(bot, inputs) {
  const headers = bot.token ? ", headers=headers" : "";
  const lines = ["import json", ...(bot.token ? ["import os"] : []), "", "import httpx", ""];
  lines.push(`url = ${literal(bot.chat)}`);
  if (bot.token) lines.push(`headers = {"Authorization": f"Bearer {os.environ['CHATSERVE_TOKEN']}"}`);
  lines.push(...fileNotes(bot, inputs, "api.code.input_file"));
  lines.push(
    "request = {",
    `    "message": ${literal(t("api.code.message"))},`,
    `    "history": [],  # ${t("api.code.history")}`,
    ...(inputs.length ? [`    "inputs": ${values(inputs, "python")},  # ${labels(inputs)}`] : []),
    `    "stream": True,`,
    "}",
  );
  if (bot.multimodal) {
    lines.push(
      `# ${t("api.code.files")}:`,
      `# with open("photo.png", "rb") as photo:`,
      `#     upload = httpx.post(${literal(bot.upload)}, files={"files": photo}${headers})`,
      `# request["message"] = {"text": ${literal(t("api.code.message"))}, "files": [f["id"] for f in upload.json()["files"]]}`,
    );
  }
  lines.push(
    `with httpx.stream("POST", url, json=request${headers}, timeout=120) as response:`,
    "    response.raise_for_status()",
    "    event = None",
    "    for line in response.iter_lines():",
    `        if line.startswith("event: "):`,
    `            event = line.removeprefix("event: ")`,
    `        elif line.startswith("data: "):`,
    `            data = json.loads(line.removeprefix("data: "))`,
    `            if event == "message" and isinstance(data["message"]["content"], str):`,
    `                print(data["message"]["content"], end="", flush=True)`,
    `            elif event == "delta":`,
    `                print(data["text"], end="", flush=True)`,
    `            elif event == "error":`,
    `                raise SystemExit(data["message"])`,
    "print()",
  );
  return lines.join("\n");
}

function openai(bot, inputs) {
  const key = bot.token ? `os.environ["CHATSERVE_TOKEN"]` : `"unused"`;
  const lines = [...(bot.token ? ["import os", ""] : []), "from openai import OpenAI", ""];
  if (bot.multimodal) lines.push(`# ${t("api.code.openai_files")}.`);
  lines.push(...fileNotes(bot, inputs, "api.code.input_file_openai"));
  lines.push(
    `client = OpenAI(base_url=${literal(bot.openai)}, api_key=${key})`,
    "stream = client.chat.completions.create(",
    `    model=${literal(bot.model)},`,
    `    messages=[{"role": "user", "content": ${literal(t("api.code.message"))}}],`,
    ...(inputs.length ? [`    extra_body={"inputs": ${values(inputs, "python")}},  # ${labels(inputs)}`] : []),
    "    stream=True,",
    ")",
    "for chunk in stream:",
    `    print(chunk.choices[0].delta.content or "", end="", flush=True)`,
    "print()",
  );
  return lines.join("\n");
}
