// A node:test reporter that adds up the time of each file's top-level tests and prints the
// slowest files, for finding where the suite's time goes. scripts/test.mjs adds it when
// WEIR_TEST_TIMES is set (to a file to write to): WEIR_TEST_TIMES=/tmp/times.txt npm run test:unit
export default async function* fileTimes(source) {
  const perFile = new Map();
  for await (const event of source) {
    if ((event.type !== "test:pass" && event.type !== "test:fail") || event.data.nesting !== 0) continue;
    const file = event.data.file ?? "?";
    perFile.set(file, (perFile.get(file) ?? 0) + (event.data.details?.duration_ms ?? 0));
  }
  const rows = [...perFile].sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((sum, [, ms]) => sum + ms, 0);
  yield `${rows.length} files, ${(total / 1000).toFixed(1)} s of tests in all (summed, not wall time)\n`;
  for (const [file, ms] of rows)
    yield `${(ms / 1000).toFixed(1).padStart(7)} s  ${file.replace(`${process.cwd()}/`, "")}\n`;
}
