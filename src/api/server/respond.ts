// Writing Engine API responses: JSON bodies, Docker's error body, JSON-lines streams.

import type { ServerResponse } from 'node:http';
import { errorBody, httpStatus } from '../../common/errors.ts';

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendJsonText(res, status, JSON.stringify(body));
}

/** sendJson for a body already serialised. */
export function sendJsonText(res: ServerResponse, status: number, json: string): void {
  // encoded once: Buffer.byteLength and then writing the string would each run through its UTF-8
  sendJsonBody(res, status, Buffer.from(`${json}\n`));
}

/** sendJson for a body already encoded (and newline-terminated). */
export function sendJsonBody(res: ServerResponse, status: number, data: Buffer): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': data.length });
  res.end(data);
}

export function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    // mid-stream: Docker reports it as a JSON message in the stream
    if (!res.writableEnded)
      res.end(`${JSON.stringify({ errorDetail: errorBody(err), error: errorBody(err).message })}\n`);
    return;
  }
  const status = httpStatus(err);
  if (status === 304) {
    res.writeHead(304);
    res.end();
    return;
  }
  sendJson(res, status, errorBody(err));
}

/** Starts a JSON-lines stream (events, progress): headers go out at once. */
export function startStream(res: ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
}

export function streamLine(res: ServerResponse, value: unknown): boolean {
  return res.write(`${JSON.stringify(value)}\n`);
}

export async function readJsonBody<T>(req: import('node:http').IncomingMessage): Promise<T | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8').trim();
  return text ? (JSON.parse(text) as T) : undefined;
}

/** A body already read (an upgraded request's): undefined when empty or not JSON. */
export function parseJson<T>(body: Buffer): T | undefined {
  const text = body.toString('utf8').trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
