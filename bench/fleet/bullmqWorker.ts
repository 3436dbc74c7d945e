// BullMQ's side of the comparison: a Worker process doubling each job's number.
import { Worker } from "bullmq";
import { Redis } from "ioredis";

const [url, queue, concurrency] = process.argv.slice(2) as [string, string, string];
const connection = new Redis(url, { maxRetriesPerRequest: null });
const worker = new Worker<{ x: number }, number>(queue, async (job) => job.data.x * 2, {
  connection,
  concurrency: Number(concurrency),
});
await worker.waitUntilReady();
process.stderr.write("ready\n");
