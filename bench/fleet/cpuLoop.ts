// The machine's own reference for the CPU section: `cpu` over n items in a plain loop, no weir.
import { cpu } from "./tasks.js";

const n = Number(process.argv[2]);
let sum = 0;
for (let i = 0; i < n; i++) sum += cpu(i);
process.stdout.write(`${sum}\n`);
