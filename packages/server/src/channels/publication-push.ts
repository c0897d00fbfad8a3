import type { Publication } from '@switchboard/engine';
import type { PublicationPush } from '@switchboard/wire';

/** A stored publication as clients see it: position, data, and who published it when a client did. */
export function toPublicationPush(p: Publication): PublicationPush {
  return p.publisher
    ? {
        offset: p.offset,
        epoch: p.epoch,
        data: p.data,
        info: { clientId: p.publisher.clientId, userId: p.publisher.userId },
      }
    : { offset: p.offset, epoch: p.epoch, data: p.data };
}
