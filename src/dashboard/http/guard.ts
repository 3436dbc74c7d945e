import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { DashboardError } from "../../errors/DashboardError.js";

/** The header a mutating request carries, equal to the token: a cross-origin form cannot set it. */
export const csrfHeader = "x-weir-csrf";
/** The header that may carry the token instead of the `token` query parameter. */
export const tokenHeader = "x-weir-token";

/** True when `a` and `b` are equal, in time that does not depend on where they differ. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Checks a request before anything else is read: its Host header names the address the dashboard
 * listens on (`allowedHosts`, when it listens on loopback: a DNS-rebinding page names its own
 * host), it carries the token (query `token` or header `x-weir-token`), and, when `mutating`, it
 * is a POST with the `x-weir-csrf` header equal to the token. Throws a {@link DashboardError}.
 */
export function guard(
  req: IncomingMessage,
  url: URL,
  token: string,
  allowedHosts: ReadonlySet<string> | undefined,
  mutating: boolean,
): void {
  const what = `${req.method ?? "GET"} ${url.pathname}`;
  if (allowedHosts !== undefined && !allowedHosts.has((req.headers.host ?? "").toLowerCase()))
    throw new DashboardError(
      "WEIR_DASHBOARD_HOST",
      `${what}: Host "${req.headers.host ?? ""}" is not this dashboard's`,
    );
  const given = url.searchParams.get("token") ?? headerValue(req, tokenHeader);
  if (given === undefined || given === "")
    throw new DashboardError("WEIR_DASHBOARD_TOKEN", `${what}: no token (open the URL the dashboard printed)`);
  if (!sameSecret(given, token))
    throw new DashboardError("WEIR_DASHBOARD_TOKEN", `${what}: wrong token`, { status: 403 });
  if (!mutating) return;
  if (req.method !== "POST")
    throw new DashboardError("WEIR_DASHBOARD_CSRF", `${what}: mutating requests must be POST`, { status: 405 });
  const csrf = headerValue(req, csrfHeader);
  if (csrf === undefined || !sameSecret(csrf, token))
    throw new DashboardError("WEIR_DASHBOARD_CSRF", `${what}: mutating requests need the ${csrfHeader} header`);
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
