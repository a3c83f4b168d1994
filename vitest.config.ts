import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Conformance, browser and notebook suites need servers; they run through their own scripts.
    exclude: ["test/conformance/**", "test/browser/**", "test/notebook/**", "node_modules/**"],
    pool: "threads",
    testTimeout: 30_000,
  },
});
