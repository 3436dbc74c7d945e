import { WeirError, type WeirErrorCode } from "./WeirError.js";

/** The codes a {@link DashboardError} carries. */
export type DashboardErrorCode = Extract<
  WeirErrorCode,
  | "WEIR_DASHBOARD_TOKEN"
  | "WEIR_DASHBOARD_CSRF"
  | "WEIR_DASHBOARD_HOST"
  | "WEIR_DASHBOARD_NOT_FOUND"
  | "WEIR_DASHBOARD_BAD_REQUEST"
  | "WEIR_DASHBOARD_UNSUPPORTED"
  | "WEIR_DASHBOARD_LISTEN"
>;

/** The HTTP status each code answers with. */
const statuses: Record<DashboardErrorCode, number> = {
  WEIR_DASHBOARD_TOKEN: 401,
  WEIR_DASHBOARD_CSRF: 403,
  WEIR_DASHBOARD_HOST: 403,
  WEIR_DASHBOARD_NOT_FOUND: 404,
  WEIR_DASHBOARD_BAD_REQUEST: 400,
  WEIR_DASHBOARD_UNSUPPORTED: 501,
  WEIR_DASHBOARD_LISTEN: 500,
};

/**
 * The dashboard (`weir/dashboard`) refused a request, or could not start: a request without its
 * token (`WEIR_DASHBOARD_TOKEN`, 401; a wrong token, 403), a mutating request that is not a POST
 * carrying the `x-weir-csrf` header (`WEIR_DASHBOARD_CSRF`, 403), a request naming another host
 * than the one the dashboard listens on (`WEIR_DASHBOARD_HOST`, 403: DNS rebinding), an unknown run
 * or dead letter (`WEIR_DASHBOARD_NOT_FOUND`), a malformed request (`WEIR_DASHBOARD_BAD_REQUEST`),
 * an action this dashboard cannot do (`WEIR_DASHBOARD_UNSUPPORTED`: no store, no `replay` handler,
 * a run that is not live here), or a port it could not listen on (`WEIR_DASHBOARD_LISTEN`).
 *
 * @example
 * ```
 * DashboardError: POST /api/runs/live-1/stop: mutating requests need the x-weir-csrf header
 * ```
 */
export class DashboardError extends WeirError {
  /** The class name: `error.name`, and what `DashboardError.is(e)` matches. */
  static override readonly name: string = "DashboardError";
  declare readonly code: DashboardErrorCode;
  /** The HTTP status the dashboard answers with. */
  readonly status: number;

  constructor(code: DashboardErrorCode, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(code, message, { cause: options.cause });
    this.status = options.status ?? statuses[code];
  }
}
