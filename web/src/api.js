// The chat endpoint client: POSTs one turn and hands each server-sent event to a callback.
import { SSEParser } from "./sse.js";
import { t } from "./texts.js";

/** An error whose message is meant for the person chatting (from the server, or ours). */
export class ChatError extends Error {}

/**
 * Sends `{message, history, inputs, conversation_id, stream: true}` to `url` and calls `onEvent(name, data)` for each event.
 * Resolves when the stream ends; rejects with ChatError for non-2xx answers and network failures,
 * and with the AbortError of `signal` when the caller stops the turn.
 */
export async function streamChat(url, { message, history, inputs = [], conversation_id }, { signal, onEvent }) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({ message, history, inputs, conversation_id, stream: true }),
      credentials: "same-origin",
      signal,
    });
  } catch (err) {
    if (signal.aborted) throw err;
    throw new ChatError(t("errors.unreachable"));
  }
  if (!response.ok) {
    signInIfSessionEnded(response.status);
    throw new ChatError(await errorMessage(response));
  }

  const type = response.headers.get("Content-Type") || "";
  if (!type.includes("text/event-stream")) {
    // A server may answer a turn as one JSON document; treat it as the final event.
    onEvent("done", await response.json());
    return;
  }

  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const parser = new SSEParser();
  const dispatch = (events) => {
    for (const { event, data } of events) {
      let payload;
      try {
        payload = JSON.parse(data);
      } catch {
        continue; // not ours to show; the final `done` carries the truth anyway
      }
      onEvent(event, payload);
    }
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      dispatch(parser.push(decoder.decode(value, { stream: true })));
    }
  } catch (err) {
    if (signal.aborted) throw err;
    throw new ChatError(t("errors.connection_lost"));
  }
  dispatch(parser.push(decoder.decode()));
  dispatch(parser.end());
}

/**
 * With `server.auth`, a 401 means this page's session has ended (signed out here or everywhere,
 * expired): the login page, which brings the reader back. The saved conversations stay.
 */
export function signInIfSessionEnded(status) {
  if (status !== 401) return false;
  window.location.assign("login");
  return true;
}

/** What a non-2xx answer says for the person chatting: its `error.message`, else a wording of its status. */
export async function errorMessage(response) {
  try {
    const message = JSON.parse(await response.text())?.error?.message;
    if (typeof message === "string" && message) return message;
  } catch {
    // not our JSON error shape: fall through to a generic wording
  }
  if (response.status === 429 || response.status === 503) {
    return t("errors.busy");
  }
  return t("errors.http", { status: `${response.status}${response.statusText ? ` ${response.statusText}` : ""}` });
}
