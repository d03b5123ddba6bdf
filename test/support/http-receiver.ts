// A real local HTTP receiver for sink tests: records every request, answers with the statuses
// it is told to (then 200).
import http from 'node:http';

export interface Received {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  status: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Statuses to answer with, first to last, before answering 200. */
  failWith: number[];
  close: () => Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const r: Receiver = { url: '', received, failWith: [], close: async () => {} };
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      const status = r.failWith.shift() ?? 200;
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, status });
      res.statusCode = status;
      res.end(status === 200 ? 'ok' : `failing on purpose with ${status}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  r.url = `http://127.0.0.1:${port}`;
  r.close = () => new Promise((resolve) => server.close(() => resolve()));
  return r;
}
