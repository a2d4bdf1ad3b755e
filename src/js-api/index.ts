// sgfw's JS API, what `import … from 'sgfw'` gives (package.json `exports`; its types are
// dist/types/, emitted from this file and types.ts only). Re-exports only.
export { replay } from './replay.js';
export type { FlowSummary, FrameVerdict, ReplayInput, ReplayResult, StateDocument, TimelineCall } from './types.js';
