// The HTTP/JSON API (gRPC JSON transcoding) with the signed-in token. The token lives in this tab's sessionStorage
// only: never in a URL, a cookie or a log.
const tokenKey = 'gridtrain.token';

export const auth = {
  token: () => sessionStorage.getItem(tokenKey),
  signIn: (token) => sessionStorage.setItem(tokenKey, token),
  signOut: () => sessionStorage.removeItem(tokenKey),
};

/** A refused call: the HTTP status and the API's message (which names the field at fault). */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function headers(hasBody) {
  const result = { Authorization: `Bearer ${auth.token()}` };
  if (hasBody) {
    result['Content-Type'] = 'application/json';
  }
  return result;
}

async function failure(response) {
  let message = response.statusText;
  try {
    message = (await response.json()).message || message;
  } catch {
    // Not a JSON error body (e.g. a proxy's page): the status text says enough.
  }
  return new ApiError(response.status, message);
}

/** One unary call: resolves to the response message, or throws ApiError. */
export async function call(method, path, body, signal) {
  const response = await fetch(path, {
    method,
    headers: headers(body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
    credentials: 'omit',
    signal,
  });
  if (!response.ok) {
    throw await failure(response);
  }
  return response.json();
}

/** A server-streaming call: hands each message to onMessage as it arrives; resolves when the server ends the stream. */
export async function stream(path, onMessage, signal) {
  const response = await fetch(path, { headers: headers(false), cache: 'no-store', credentials: 'omit', signal });
  if (!response.ok) {
    throw await failure(response);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const splitter = new JsonSplitter();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      return;
    }
    for (const text of splitter.push(value)) {
      onMessage(JSON.parse(text));
    }
  }
}

/**
 * Follows a stream whose every message is the whole current state (a list, a reading), so picking up again after a
 * drop loses nothing: when the connection drops or the server ends the stream, it reconnects after a backoff (1 s,
 * doubling to 30 s, back to 1 s once a message arrives). A refusal (4xx: signed out, not found) ends it with ApiError.
 * Resolves only when signal aborts.
 */
export async function watch(path, onMessage, signal) {
  let backoff = 1000;
  for (;;) {
    try {
      await stream(path, (message) => {
        backoff = 1000;
        onMessage(message);
      }, signal);
    } catch (error) {
      if (signal?.aborted || (error instanceof ApiError && error.status < 500)) {
        throw error;
      }
    }
    if (signal?.aborted) {
      return;
    }
    await pause(backoff, signal);
    backoff = Math.min(backoff * 2, 30000);
  }
}

/** Waits ms milliseconds, or less if signal aborts first. */
function pause(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

/** Cuts a stream of JSON objects (one per line, or inside an array) into the texts of whole top-level objects. */
class JsonSplitter {
  #buffer = '';
  #scanned = 0;
  #depth = 0;
  #start = -1;
  #inString = false;
  #escaped = false;

  push(chunk) {
    this.#buffer += chunk;
    const objects = [];
    for (let i = this.#scanned; i < this.#buffer.length; i++) {
      const c = this.#buffer[i];
      if (this.#inString) {
        if (this.#escaped) {
          this.#escaped = false;
        } else if (c === '\\') {
          this.#escaped = true;
        } else if (c === '"') {
          this.#inString = false;
        }
      } else if (c === '"' && this.#depth > 0) {
        this.#inString = true;
      } else if (c === '{') {
        if (this.#depth++ === 0) {
          this.#start = i;
        }
      } else if (c === '}' && --this.#depth === 0) {
        objects.push(this.#buffer.slice(this.#start, i + 1));
        this.#start = -1;
      }
    }
    if (this.#start >= 0) {
      this.#buffer = this.#buffer.slice(this.#start);
      this.#start = 0;
    } else {
      this.#buffer = '';
    }
    this.#scanned = this.#buffer.length;
    return objects;
  }
}
