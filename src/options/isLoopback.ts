/** True for a loopback address: 127.0.0.0/8, ::1 (bracketed or not) and `localhost`. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);
}
