/** Stable codes of the errors the codec reports. Callers branch on these, never on messages. */
export type SubunitErrorCode =
  | 'BATON_SUBUNIT_BAD_VERSION'
  | 'BATON_SUBUNIT_BAD_LENGTH'
  | 'BATON_SUBUNIT_BAD_CRC'
  | 'BATON_SUBUNIT_BAD_FIELD'
  | 'BATON_SUBUNIT_TRUNCATED'
  | 'BATON_SUBUNIT_TOO_LARGE'
  | 'BATON_SUBUNIT_BAD_VALUE';

/**
 * A problem with subunit bytes: where it is (`offset`, a byte offset into the whole
 * stream) and what was wrong. The decoder reports these and carries on; the encoder
 * throws them for values the format cannot carry.
 */
export class SubunitError extends Error {
  override readonly name = 'SubunitError';
  readonly code: SubunitErrorCode;
  /** Byte offset in the stream of the packet (or value) at fault; -1 when not from a stream. */
  readonly offset: number;

  constructor(code: SubunitErrorCode, message: string, offset = -1, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.offset = offset;
  }
}
