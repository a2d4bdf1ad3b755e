// Live capture from a network interface through libpcap (the `cap` addon). `cap` copies each frame
// into one buffer we own and emits 'packet' with its length: the bytes are valid only until the
// handler returns, so whatever judges a frame must do it inside the handler.
import { createRequire } from 'node:module';
import { LinkType } from '../packet/link-types.js';
import { CaptureError } from './capture-error.js';
import { missingCap } from './missing-addon.js';

interface CapHandle {
  open(device: string, filter: string, bufferSize: number, buffer: Buffer): string;
  close(): void;
  send(buffer: Buffer, length: number): void;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): unknown;
}
interface CapModule {
  Cap: { new (): CapHandle; deviceList(): { name: string; addresses: { addr: string }[] }[] };
}

const require = createRequire(import.meta.url);

/** `cap`, loaded on first use: hosts without libpcap run everything else. Throws MissingAddonError. */
function loadCap(): CapModule {
  try {
    return require('cap') as CapModule;
  } catch (e) {
    throw missingCap('--capture pcap (inline and monitor modes)', e);
  }
}

/** `cap.open` answers with a name, not the DLT number; these are the names it knows (binding.cc). */
const LINK_TYPES: Record<string, number> = {
  NULL: LinkType.NULL,
  ETHERNET: LinkType.ETHERNET,
  LINKTYPE_LINUX_SLL: LinkType.LINUX_SLL,
  // DLT_RAW is 12 or 14 depending on the platform; the decoder reads raw IP under 101.
  RAW: LinkType.RAW,
};

/** libpcap's snapshot length in `cap` is fixed at 65535, so a larger buffer would never fill. */
const FRAME_BUFFER_BYTES = 65535;

/**
 * Handles whose open failed, kept reachable for the life of the process: `cap` aborts the process
 * (libuv's uv_poll_stop assertion on a closing handle) when such a handle is garbage collected.
 */
const failedHandles: CapHandle[] = [];

export interface LiveCaptureOptions {
  /** a BPF filter ('' for every frame) */
  filter?: string;
  /** the kernel ring buffer libpcap asks for, in bytes */
  bufferSize?: number;
}

export type FrameHandler = (frame: Buffer, length: number, truncated: boolean) => void;

export class LiveCapture {
  /** the frame of the current 'packet' callback, from offset 0; overwritten by the next */
  readonly buffer = Buffer.alloc(FRAME_BUFFER_BYTES);
  /** the pcap link type (LinkType) of the interface */
  readonly linkType: number;
  private readonly handle: CapHandle;
  private closed = false;

  /** Opens `device` (promiscuous, immediate mode); throws CaptureError when libpcap refuses, MissingAddonError without `cap`. */
  constructor(
    readonly device: string,
    onFrame: FrameHandler,
    options: LiveCaptureOptions = {},
  ) {
    const cap = loadCap();
    this.handle = new cap.Cap();
    let name: string;
    try {
      name = this.handle.open(device, options.filter ?? '', options.bufferSize ?? 16 << 20, this.buffer);
    } catch (e) {
      failedHandles.push(this.handle);
      throw new CaptureError(device, `cannot capture: ${(e as Error).message}`);
    }
    const linkType = LINK_TYPES[name];
    if (linkType === undefined) {
      this.handle.close();
      throw new CaptureError(device, `unsupported link type: ${name}`);
    }
    this.linkType = linkType;
    const buffer = this.buffer;
    this.handle.on('packet', (nbytes, truncated) => onFrame(buffer, nbytes, truncated));
  }

  /**
   * Injects `length` bytes of `frame` out of the interface (pcap_sendpacket): synchronous, the
   * buffer may be reused at once. Throws Error with libpcap's message when the kernel refuses.
   */
  send(frame: Buffer, length: number): void {
    // The binding would hand libpcap a null handle once closed.
    if (this.closed) throw new CaptureError(this.device, 'cannot send: the capture is closed');
    this.handle.send(frame, length);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handle.close();
  }

  /** Interface names libpcap can open. */
  static devices(): string[] {
    return loadCap().Cap.deviceList().map((d) => d.name);
  }
}
