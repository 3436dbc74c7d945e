import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A throwaway CA and a server certificate for 127.0.0.1, made with the `openssl` binary. */
export interface TlsFiles {
  readonly dir: string;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** Writes a CA and a server certificate (CN and IP SAN 127.0.0.1) into a fresh temp folder. */
export function makeTlsFiles(): TlsFiles {
  const dir = mkdtempSync(join(tmpdir(), "weir-tls-"));
  const at = (name: string): string => join(dir, name);
  const run = (...args: string[]): void => void execFileSync("openssl", args, { stdio: "ignore" });
  run(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=weir-test-ca",
    "-keyout",
    at("ca.key"),
    "-out",
    at("ca.crt"),
  );
  run(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=127.0.0.1",
    "-keyout",
    at("server.key"),
    "-out",
    at("server.csr"),
  );
  execFileSync("sh", ["-c", `printf 'subjectAltName=IP:127.0.0.1' > ${at("san.ext")}`]);
  run(
    "x509",
    "-req",
    "-in",
    at("server.csr"),
    "-CA",
    at("ca.crt"),
    "-CAkey",
    at("ca.key"),
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    at("san.ext"),
    "-out",
    at("server.crt"),
  );
  return { dir, ca: at("ca.crt"), cert: at("server.crt"), key: at("server.key") };
}
