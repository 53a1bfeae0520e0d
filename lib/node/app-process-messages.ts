/** IPC between a node and its app processes (app-processes.ts, app-process.ts). */

/** Child -> node. */
export type AppProcessMessage =
  | { type: 'ready' }
  | { type: 'failed'; error: string }
  | { type: 'metrics'; id: number; metrics: object[] };

/** Node -> child. */
export type ParentMessage = { type: 'metrics'; id: number };
