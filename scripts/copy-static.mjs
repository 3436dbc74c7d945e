// Copies the dashboard's page (plain HTML, CSS and JavaScript) next to the built modules:
// src/dashboard/static → dist/dashboard/static. Run by `npm run build` after tsc.
import { cpSync } from "node:fs";

cpSync("src/dashboard/static", "dist/dashboard/static", { recursive: true });
