import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A real `redis-server` of the test's own, on a free loopback port (never the shared 6379), with
 * its data directory in a fresh temp folder. Stopped by its pid.
 *
 * Persistence is off (`--save '' --appendonly no`) unless `aof` is set: then every write is
 * appended and fsynced before Redis answers (`appendfsync always`), so a SIGKILL loses nothing
 * Redis acknowledged, and `restart()` brings the same data back on the same port.
 */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` (with the password when one is set). */
  readonly url: string;
  /** The server's pid (changes on restart). */
  readonly pid: number;
  /** Sends `signal` to the server process (SIGKILL, SIGSTOP, SIGCONT…). */
  signal(signal: NodeJS.Signals): void;
  /** Kills the server (SIGKILL) and waits for it to be gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory (after `kill()`). */
  restart(): Promise<void>;
  /** Stops the server (SIGKILL) and removes its directory. */
  stop(): Promise<void>;
}

/** Options of {@link startRedis}. */
export interface RedisServerOptions {
  /** Append-only file, fsynced on every write. @default false */
  readonly aof?: boolean;
  /** `requirepass` (the default user's password). */
  readonly password?: string;
  /** TLS only: the files of a server certificate; the plain port is then closed. */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca: string };
  /** A port to use (restarts); a free one otherwise. */
  readonly port?: number;
}

/** The `redis-server` binary: Debian's, else the one on PATH (`.ci/run` installs it where missing). */
export const redisBinary = existsSync("/usr/bin/redis-server") ? "/usr/bin/redis-server" : "redis-server";

/** A free loopback TCP port (bound, read, released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts a server (see {@link RedisServer}); retries on another port if the chosen one was taken. */
export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), "weir-redis-"));
  for (let tries = 0; ; tries++) {
    const port = options.port ?? (await freePort());
    try {
      return await serve(port, dir, options);
    } catch (error) {
      if (tries >= 4 || options.port !== undefined) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
}

async function serve(port: number, dir: string, options: RedisServerOptions): Promise<RedisServer> {
  const conf = join(dir, "redis.conf");
  const lines = [
    `dir ${dir}`,
    `bind 127.0.0.1`,
    `save ""`,
    `appendonly ${options.aof === true ? "yes" : "no"}`,
    `appendfsync always`,
    `protected-mode no`,
    `loglevel warning`,
    `daemonize no`,
  ];
  if (options.password !== undefined) lines.push(`requirepass ${options.password}`);
  if (options.tls !== undefined) {
    lines.push(
      `port 0`,
      `tls-port ${port}`,
      `tls-cert-file ${options.tls.cert}`,
      `tls-key-file ${options.tls.key}`,
      `tls-ca-cert-file ${options.tls.ca}`,
      `tls-auth-clients no`,
    );
  } else lines.push(`port ${port}`);
  writeFileSync(conf, `${lines.join("\n")}\n`);
  let child = await launch(conf, port);
  const auth = options.password === undefined ? "" : `:${encodeURIComponent(options.password)}@`;
  const server: RedisServer = {
    port,
    url: `${options.tls === undefined ? "redis" : "rediss"}://${auth}127.0.0.1:${port}`,
    get pid() {
      return child.pid!;
    },
    signal: (signal) => void child.kill(signal),
    async kill() {
      await killAndWait(child);
    },
    async restart() {
      child = await launch(conf, port);
    },
    async stop() {
      await killAndWait(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGCONT");
  child.kill("SIGKILL");
  await gone;
}

/** Starts the binary and waits until the port accepts connections (or the process exits). */
async function launch(conf: string, port: number): Promise<ChildProcess> {
  const child = spawn(redisBinary, [conf], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  let exited = false;
  child.once("exit", () => (exited = true));
  // a test that fails must not leave a server behind
  const reap = (): void => void child.kill("SIGKILL");
  process.once("exit", reap);
  child.once("exit", () => process.removeListener("exit", reap));
  for (let i = 0; i < 3000; i++) {
    if (exited) throw new Error(`redis-server exited at start on port ${port}:\n${output}`);
    if (await accepts(port)) return child;
    await new Promise((r) => setTimeout(r, 10));
  }
  child.kill("SIGKILL");
  throw new Error(`redis-server did not accept connections on port ${port} within 30 s:\n${output}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
