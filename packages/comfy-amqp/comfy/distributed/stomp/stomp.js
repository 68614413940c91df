// A minimal STOMP 1.2 client over WebSocket for RabbitMQ's Web-STOMP plugin.
//
// Written for this project (no third-party code; same licence as comfy-amqp). It does what the
// example page needs and no more: CONNECT, SUBSCRIBE, SEND, UNSUBSCRIBE, DISCONNECT, RECEIPT
// and ERROR frames, header escaping (STOMP 1.2), `content-length` bodies, several frames in one
// WebSocket message or one frame split over several, heart-beat newlines. No reconnects, no
// transactions, no heart-beats of its own.
//
//   const client = new StompClient("ws://127.0.0.1:15674/ws", {login: "guest", passcode: "guest"});
//   await client.connect();
//   const id = client.subscribe("/temp-queue/replies", (frame) => console.log(frame.body));
//   client.send("/amq/queue/comfyui", {"content-type": "application/json"}, JSON.stringify(job));
//
// A frame handed to callbacks is {command, headers, body (string), bytes (Uint8Array)}.
"use strict";

(function (root) {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder("utf-8");

  function escapeHeader(value) {
    return String(value)
      .replace(/\\/g, "\\\\")
      .replace(/\r/g, "\\r")
      .replace(/\n/g, "\\n")
      .replace(/:/g, "\\c");
  }

  function unescapeHeader(value) {
    return value.replace(/\\([\\rnc])/g, (_, c) => ({ "\\": "\\", r: "\r", n: "\n", c: ":" })[c]);
  }

  function concat(a, b) {
    const out = new Uint8Array(a.length + b.length);
    out.set(a, 0);
    out.set(b, a.length);
    return out;
  }

  class StompClient {
    constructor(url, options) {
      this.url = url;
      this.options = Object.assign({ login: "guest", passcode: "guest", host: "/" }, options || {});
      this.ws = null;
      this.buffer = new Uint8Array(0);
      this.subscriptions = new Map();
      this.receipts = new Map();
      this.nextId = 0;
      this.connected = false;
      this.onerror = (frame) => console.error("STOMP ERROR", frame.headers.message, frame.body);
      this.onclose = () => {};
    }

    /** Open the socket and send CONNECT; resolves with the CONNECTED frame. */
    connect() {
      return new Promise((resolve, reject) => {
        const ws = new WebSocket(this.url, ["v12.stomp", "v11.stomp", "v10.stomp"]);
        ws.binaryType = "arraybuffer";
        this.ws = ws;
        this._onConnected = resolve;
        ws.onopen = () => {
          this._transmit("CONNECT", {
            "accept-version": "1.2,1.1",
            host: this.options.host,
            login: this.options.login,
            passcode: this.options.passcode,
            "heart-beat": "0,0",
          }, "");
        };
        ws.onmessage = (event) => this._receive(event.data);
        ws.onerror = () => { if (!this.connected) reject(new Error("cannot reach " + this.url)); };
        ws.onclose = (event) => {
          const was = this.connected;
          this.connected = false;
          if (!was) reject(new Error("connection closed (" + event.code + ")"));
          this.onclose(event);
        };
      });
    }

    /** Subscribe; `callback(frame)` gets each MESSAGE. Returns the subscription id. */
    subscribe(destination, callback, headers) {
      const id = "sub-" + this.nextId++;
      this.subscriptions.set(id, callback);
      this._transmit("SUBSCRIBE", Object.assign({ id, destination, ack: "auto" }, headers || {}), "");
      return id;
    }

    unsubscribe(id) {
      this.subscriptions.delete(id);
      this._transmit("UNSUBSCRIBE", { id }, "");
    }

    /** SEND `body` (a string) to `destination`; resolves once the broker confirms (RECEIPT). */
    send(destination, headers, body) {
      const receipt = "rcpt-" + this.nextId++;
      const done = new Promise((resolve) => this.receipts.set(receipt, resolve));
      this._transmit("SEND", Object.assign({ destination, receipt }, headers || {}), body || "");
      return done;
    }

    disconnect() {
      if (this.ws && this.ws.readyState === WebSocket.OPEN) {
        this._transmit("DISCONNECT", {}, "");
        this.ws.close();
      }
      this.connected = false;
    }

    _transmit(command, headers, body) {
      const bytes = encoder.encode(body);
      let head = command + "\n";
      const escape = command !== "CONNECT";
      for (const [key, value] of Object.entries(headers)) {
        if (value === undefined || value === null) continue;
        head += (escape ? escapeHeader(key) : key) + ":" + (escape ? escapeHeader(value) : value) + "\n";
      }
      if (command === "SEND") head += "content-length:" + bytes.length + "\n";
      const frame = concat(concat(encoder.encode(head + "\n"), bytes), new Uint8Array([0]));
      this.ws.send(frame.buffer);
    }

    _receive(data) {
      const chunk = typeof data === "string" ? encoder.encode(data) : new Uint8Array(data);
      this.buffer = concat(this.buffer, chunk);
      for (;;) {
        let start = 0;
        while (start < this.buffer.length && (this.buffer[start] === 10 || this.buffer[start] === 13)) start++;
        this.buffer = this.buffer.subarray(start); // heart-beats
        const frame = this._parse();
        if (frame === null) return;
        this._dispatch(frame);
      }
    }

    // One complete frame off the front of the buffer, or null when it has not all arrived.
    _parse() {
      const buf = this.buffer;
      let headEnd = -1;
      for (let i = 0; i + 1 < buf.length; i++) {
        if (buf[i] === 10 && buf[i + 1] === 10) { headEnd = i; break; }
        if (buf[i] === 10 && buf[i + 1] === 13 && buf[i + 2] === 10) { headEnd = i; break; }
      }
      if (headEnd < 0) return null;
      const lines = decoder.decode(buf.subarray(0, headEnd)).split(/\r?\n/);
      const command = lines.shift();
      const headers = {};
      for (const line of lines) {
        const colon = line.indexOf(":");
        if (colon < 0) continue;
        const key = unescapeHeader(line.slice(0, colon));
        if (!(key in headers)) headers[key] = unescapeHeader(line.slice(colon + 1));
      }
      const bodyStart = headEnd + (buf[headEnd + 1] === 13 ? 3 : 2);
      let bodyEnd;
      if (headers["content-length"] !== undefined) {
        bodyEnd = bodyStart + parseInt(headers["content-length"], 10);
        if (buf.length < bodyEnd + 1) return null;
      } else {
        bodyEnd = buf.indexOf(0, bodyStart);
        if (bodyEnd < 0) return null;
      }
      const bytes = buf.slice(bodyStart, bodyEnd);
      this.buffer = buf.subarray(bodyEnd + 1);
      return { command, headers, bytes, body: decoder.decode(bytes) };
    }

    _dispatch(frame) {
      switch (frame.command) {
        case "CONNECTED":
          this.connected = true;
          this._onConnected(frame);
          break;
        case "MESSAGE": {
          const callback = this.subscriptions.get(frame.headers.subscription);
          if (callback) callback(frame);
          break;
        }
        case "RECEIPT": {
          const resolve = this.receipts.get(frame.headers["receipt-id"]);
          this.receipts.delete(frame.headers["receipt-id"]);
          if (resolve) resolve(frame);
          break;
        }
        case "ERROR":
          this.onerror(frame);
          break;
      }
    }
  }

  root.StompClient = StompClient;
})(typeof window !== "undefined" ? window : globalThis);
