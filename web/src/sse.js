// A server-sent-events parser for a fetch() body: feed it decoded text, get whole events back.

/** Parses the text/event-stream format incrementally (any line ending; comments ignored). */
export class SSEParser {
  constructor() {
    this.buffer = "";
    this.event = "";
    this.data = [];
  }

  /** Adds a chunk of text and returns the events it completed, as `{event, data}` pairs. */
  push(chunk) {
    let text = this.buffer + chunk;
    // A trailing "\r" may be the first half of "\r\n": keep it until the next chunk shows.
    const cr = text.endsWith("\r") ? "\r" : "";
    if (cr) text = text.slice(0, -1);
    const lines = text.split(/\r\n|\r|\n/);
    this.buffer = lines.pop() + cr;
    const events = [];
    for (const line of lines) this.line(line, events);
    return events;
  }

  /** Ends the stream, returning an event left without its closing blank line, if any. */
  end() {
    const events = [];
    const rest = this.buffer.replace(/\r$/, "");
    if (rest) this.line(rest, events);
    this.buffer = "";
    this.line("", events);
    return events;
  }

  line(line, events) {
    if (line === "") {
      if (this.data.length) events.push({ event: this.event || "message", data: this.data.join("\n") });
      this.event = "";
      this.data = [];
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.event = value;
    else if (field === "data") this.data.push(value);
  }
}
