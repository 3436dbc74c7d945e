// The floor's consumer: raw batched ioredis, no weir. Reads entries of packed items with
// XREADGROUP, doubles each, answers with one pipelined XADD + XACK per read.
import { Redis } from "ioredis";
import { Packr } from "msgpackr";

const [url, stream, consumer] = process.argv.slice(2) as [string, string, string];
const redis = new Redis(url, { maxRetriesPerRequest: null });
const packr = () => new Packr({ sequential: true, mapsAsObjects: false, moreTypes: true });
process.stderr.write("ready\n");
for (;;) {
  const result = (await redis.callBuffer(
    "XREADGROUP",
    "GROUP",
    "raw",
    consumer,
    "COUNT",
    4,
    "BLOCK",
    1000,
    "STREAMS",
    stream,
    ">",
  )) as Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;
  if (result === null) continue;
  const p = redis.pipeline();
  for (const [, entries] of result) {
    for (const [id, fields] of entries) {
      const body = packr().unpack(fields[1]!) as { b: number; r: string; x: number[] };
      const v = body.x.map((x) => x * 2);
      p.xaddBuffer(body.r, "*", "m", packr().pack({ b: body.b, v }));
      p.xack(stream, "raw", id);
    }
  }
  await p.exec();
}
