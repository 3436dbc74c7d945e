import type { ServerResponse } from "node:http";
import { DashboardError } from "../../errors/DashboardError.js";
import { WeirError } from "../../errors/WeirError.js";

/**
 * Headers on every answer: nothing cached (the token is in the URL), no referrer (it would carry
 * the token away), no framing, and scripts, styles and connections from this origin only.
 */
export const securityHeaders: Readonly<Record<string, string>> = Object.freeze({
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
});

/** Answers with `body` as JSON. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** Answers with an error: a {@link DashboardError}'s status and code, else 500 (a weir error keeps its code). */
export function sendError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status = error instanceof DashboardError ? error.status : 500;
  const code = WeirError.is(error) ? error.code : null;
  const message = error instanceof Error ? error.message : String(error);
  sendJson(res, status, { error: { code, message } });
}
