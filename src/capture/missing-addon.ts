// What a mode says when the native code it needs is not there: an addon of native-bindings/ that
// was not built (no compiler or header when sgfw was installed) or the optional package `cap`
// (libpcap) that npm could not build. One line naming the mode, what to install and the command
// that finishes the job, and exit 1: the operator fixes the machine, it is not a bug in sgfw.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export class MissingAddonError extends Error {
  override readonly name = 'MissingAddonError';
}

/** sgfw's own folder (two levels up from src/capture/ and dist/capture/ alike). */
const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The command that builds the addons where this sgfw lives (the script the package's install runs). */
export const BUILD_ADDONS_COMMAND = `node ${fileURLToPath(new URL('../../scripts/build-addons.mjs', import.meta.url))}`;

/** Node's message says where it looked on lines of its own; the first says what failed. */
function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0]!;
}

function notFound(e: unknown, what: string): boolean {
  return (e as NodeJS.ErrnoException)?.code === 'MODULE_NOT_FOUND' && firstLine(e).includes(what);
}

/**
 * The addon at `path` (native-bindings/NAME/build/Release/NAME.node) did not load: `mode` is what
 * needs it ('host mode'), `addon` its name ('NFQUEUE'), `packages` the Debian packages it builds with.
 */
export function missingAddon(mode: string, addon: string, path: string, packages: readonly string[], e: unknown): MissingAddonError {
  const why = notFound(e, path) ? 'which is not built' : `which does not load (${firstLine(e)})`;
  return new MissingAddonError(`${mode} needs the ${addon} addon, ${why}: install ${packages.join(', ')}, then run '${BUILD_ADDONS_COMMAND}'`);
}

/** The optional package `cap` did not load: `mode` as for missingAddon. */
export function missingCap(mode: string, e: unknown): MissingAddonError {
  const why = notFound(e, "'cap'") ? 'which is not installed' : `which does not load (${firstLine(e)})`;
  // npm drops an optional package it could not build, so only installing sgfw again brings it back.
  const again = existsSync(`${PACKAGE_ROOT}/src`) ? "'npm ci' in sgfw's checkout" : "'npm install -g ./sgfw-*.tgz' again";
  return new MissingAddonError(`${mode} needs the optional package cap (libpcap), ${why}: install libpcap-dev, g++, make and python3, then run ${again}`);
}
