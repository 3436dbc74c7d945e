import type { IncomingMessage } from "node:http";
import { DashboardError } from "../../errors/DashboardError.js";

/** Bodies above this are refused. */
export const maxBodyBytes = 1024 * 1024;

/** Reads a request's JSON body (at most {@link maxBodyBytes}); an empty body reads as `{}`. */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes)
      throw new DashboardError("WEIR_DASHBOARD_BAD_REQUEST", `request body over ${maxBodyBytes} bytes`, {
        status: 413,
      });
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DashboardError("WEIR_DASHBOARD_BAD_REQUEST", "the request body is not JSON", { cause: error });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new DashboardError("WEIR_DASHBOARD_BAD_REQUEST", "the request body must be a JSON object");
  return value as Record<string, unknown>;
}
