/**
 * The real Chromium the dashboard's browser tests drive (Debian's `chromium` package, found on the
 * PATH, through playwright-core). Without it the tests skip, saying so: CI installs it
 * (.ci/install-chromium.sh).
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { chromium, type Browser } from "playwright-core";

/** The `chromium` binary on the PATH, or undefined. */
export function chromiumPath(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const file = join(dir, "chromium");
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Why the browser tests skip, or false when Chromium is there. */
export const skipWithoutChromium: string | false =
  chromiumPath() === undefined
    ? "chromium is not installed: apt-get install -y chromium (CI runs .ci/install-chromium.sh)"
    : false;

/** Launches headless Chromium with the flags that keep it off the (closed) network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath()!,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
  });
}
