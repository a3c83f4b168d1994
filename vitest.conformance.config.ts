import { defineConfig } from "vitest/config";

/**
 * Conformance suites: scenarios run against real servers (started by `scripts/conformance.sh`),
 * one file at a time, with generous timeouts.
 */
export default defineConfig({
  test: {
    include: ["test/conformance/**/*.conformance.test.ts"],
    exclude: ["node_modules/**"],
    fileParallelism: false,
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
