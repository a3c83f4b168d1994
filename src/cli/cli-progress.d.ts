// The part of cli-progress 3.12 the CLI uses (the package ships no types; @types/cli-progress
// would be one more dependency for six signatures).
declare module "cli-progress" {
  export interface Options {
    stream?: NodeJS.WritableStream;
    format?: string;
    hideCursor?: boolean;
    clearOnComplete?: boolean;
    barsize?: number;
    etaBuffer?: number;
    fps?: number;
  }
  export class SingleBar {
    constructor(options: Options, preset?: object);
    start(total: number, startValue: number, payload?: Record<string, unknown>): void;
    update(value: number, payload?: Record<string, unknown>): void;
    setTotal(total: number): void;
    stop(): void;
  }
  export const Presets: { readonly shades_classic: object };
}
