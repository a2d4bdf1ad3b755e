// Preloaded into sgfw by bench/control-plane-load.mjs --trace-gc (NODE_OPTIONS=--import=…): turns on
// V8's --trace-gc for the whole process, its worker threads included (V8 flags are the process's;
// Node refuses --trace-gc in NODE_OPTIONS and in a Worker's execArgv, so it is set here, at run time).
// Each GC prints one line on stdout, each isolate by its address.
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--trace-gc');
