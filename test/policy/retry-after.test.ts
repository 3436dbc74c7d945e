import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { retryAfterMs, parseRetryAfter } from "../../src/policy/retryAfterMs.js";
import { isOverload } from "../../src/policy/isOverload.js";
import { TimeoutError } from "../../src/errors/TimeoutError.js";

describe("retryAfterMs", () => {
  it("reads retryAfterMs, headers objects, Headers and HTTP dates", () => {
    assert.equal(retryAfterMs(Object.assign(new Error(), { retryAfterMs: 250 })), 250);
    assert.equal(retryAfterMs({ headers: { "retry-after": "2" } }), 2000);
    assert.equal(retryAfterMs({ response: { headers: new Headers({ "Retry-After": "1.5" }) } }), 1500);
    const now = Date.parse("2025-01-01T00:00:00Z");
    assert.equal(retryAfterMs({ headers: { "Retry-After": "Wed, 01 Jan 2025 00:00:10 GMT" } }, now), 10_000);
    assert.equal(retryAfterMs(new Error("plain")), undefined);
    assert.equal(retryAfterMs("nope"), undefined);
    assert.equal(parseRetryAfter("soon"), undefined);
  });

  it("isOverload recognises 429, 503, Retry-After and timeouts", () => {
    assert.equal(isOverload({ status: 429 }), true);
    assert.equal(isOverload({ response: { status: 503 } }), true);
    assert.equal(isOverload({ statusCode: 404 }), false);
    assert.equal(isOverload(new TimeoutError("x", 10)), true);
    assert.equal(isOverload({ headers: { "retry-after": "1" } }), true);
    assert.equal(isOverload(null), false);
  });
});
