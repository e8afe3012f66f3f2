import { PB_BATCH, PbBatchType } from '../protocol/pb-tnc/batch';

/**
 * RFC 5793 3.2: the PB-TNC state machine, one table for both roles and for sending and receiving.
 * Which side may send a batch type is checked when the batch is decoded (decodeBatch's `sender`).
 * Pure: the next state, or undefined when the batch is unexpected (PB-Error Unexpected Batch Type).
 */
export type PbState = 'Init' | 'Server Working' | 'Client Working' | 'Decided' | 'End';

export function nextPbState(state: PbState, type: PbBatchType): PbState | undefined {
  if (type === PB_BATCH.CLOSE) return 'End';
  switch (state) {
    case 'Init':
      return type === PB_BATCH.CDATA ? 'Server Working' : type === PB_BATCH.SDATA ? 'Client Working' : undefined;
    case 'Server Working':
      if (type === PB_BATCH.SDATA || type === PB_BATCH.SRETRY) return 'Client Working';
      if (type === PB_BATCH.RESULT) return 'Decided';
      return type === PB_BATCH.CRETRY ? 'Server Working' : undefined;
    case 'Client Working':
      if (type === PB_BATCH.CDATA || type === PB_BATCH.CRETRY) return 'Server Working';
      return type === PB_BATCH.SRETRY ? 'Client Working' : undefined;
    case 'Decided':
      return type === PB_BATCH.CRETRY || type === PB_BATCH.SRETRY ? 'Server Working' : undefined;
    case 'End':
      return undefined;
  }
}
