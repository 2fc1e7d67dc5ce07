export { SIGNATURE, Flag, MAX_PACKET_SIZE, TEXT_MIME_TYPE, STATUSES, FINAL_STATUSES, FAILING_STATUSES, PASSING_STATUSES, isFailing, isPassing, type TestStatus } from './constants.js';
export { crc32 } from './crc32.js';
export { SubunitError, type SubunitErrorCode } from './errors.js';
export {
  type Packet,
  type Timestamp,
  timestampFromMillis,
  timestampToMillis,
  timestampToIso,
  secondsBetween,
} from './packet.js';
export { encodePacket, encodePackets, StreamEncoder, type ChunkSink, type StreamEncoderOptions } from './encoder.js';
export { ATTACHMENT_CHUNK_BYTES, attachmentPackets, resultPackets, type ResultPacketsOptions } from './result-packets.js';
export { StreamDecoder, decodeAll, type DecoderHandlers, type DecoderOptions, type DecodedStream } from './decoder.js';
export {
  ResultAggregator,
  aggregate,
  isText,
  durationOf,
  type TestResult,
  type Attachment,
  type StrayOutput,
  type AggregatorHandlers,
} from './aggregator.js';
