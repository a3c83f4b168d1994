import { defineConfig } from "vitest/config";

export default defineConfig({
  // examples/ import "brokerlab…" by name: resolve them to the sources (tsconfig.json "paths").
  resolve: { tsconfigPaths: true },
  test: {
    include: ["test/**/*.test.ts"],
    // Conformance, browser and notebook suites need servers; they run through their own scripts.
    exclude: ["test/conformance/**", "test/browser/**", "test/notebook/**", "node_modules/**"],
    pool: "threads",
    // One more worker than the machine's 2 cores: the suites that run real programs in child
    // processes (docs blocks, tutorials, the CLI) spend much of their time waiting on those
    // processes, and a third worker keeps the cores busy meanwhile (153 s → 88 s here).
    maxWorkers: 3,
    testTimeout: 30_000,
  },
});
