import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';

/** One request the sink received: its body decompressed and parsed. */
export interface DatadogRequest {
  readonly method: string;
  readonly url: string;
  readonly apiKey: string | undefined;
  readonly body: Record<string, unknown>;
}

export interface DatadogSink {
  /** `http://127.0.0.1:PORT`, for `baseUrl` or `MONGO_COMPAT_DATADOG_URL`. */
  readonly url: string;
  readonly received: DatadogRequest[];
  /** The HTTP status the sink answers with (202; 403 to refuse). */
  status: number;
  stop(): Promise<void>;
}

function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', reject);
    req.on('end', () => {
      let raw = Buffer.concat(chunks);
      const enc = req.headers['content-encoding'];
      if (enc === 'gzip') raw = gunzipSync(raw);
      else if (enc === 'deflate') raw = inflateSync(raw);
      resolve(raw.length ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {});
    });
  });
}

/** A local HTTP server on 127.0.0.1 standing in for the Datadog intake: it records what arrives. */
export async function startDatadogSink(): Promise<DatadogSink> {
  const received: DatadogRequest[] = [];
  let status = 202;
  const server = createServer((req, res) => {
    void body(req).then((b) => {
      received.push({ method: req.method ?? '', url: req.url ?? '', apiKey: req.headers['dd-api-key'] as string | undefined, body: b });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status < 300 ? (req.url?.includes('/events') ? '{"status":"ok","event":{"id":1}}' : '{"errors":[]}') : '{"errors":["Forbidden"]}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const sink: DatadogSink = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    get status() {
      return status;
    },
    set status(s: number) {
      status = s;
    },
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
  return sink;
}
