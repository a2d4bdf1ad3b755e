export { CaptureError } from './capture-error.js';
export { CaptureReader, type CaptureReaderOptions, type CaptureRecord } from './capture-reader.js';
export { PcapWriter, type PcapWriterOptions } from './pcap-writer.js';
export { MAX_CAPLEN } from './capture-formats.js';
