import { defineConfig } from "vitest/config";

// Runs the ```ts vitest blocks that test/docs/code-blocks.test.ts writes to test/docs/.blocks/.
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: [".blocks/*.vitest.ts"],
    pool: "threads",
    maxWorkers: 1,
    testTimeout: 20_000,
  },
});
