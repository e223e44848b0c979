// Types for scripts/server-build.mjs (plain JavaScript so `npm start` runs it without tsx).
export declare const ROOT: string;
export declare const OUT_DIR: string;
export declare const BUNDLE: string;
export declare const MANIFEST: string;
export interface FileStamp {
  size: number;
  mtimeMs: number;
}
export declare function staleReason(
  manifest: unknown,
  stat: (path: string) => FileStamp | undefined,
): string | null;
export declare function readManifest(): unknown;
export declare function currentStaleReason(): string | null;
export declare function buildServer(): Promise<{ ms: number }>;
