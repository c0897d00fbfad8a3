/** An answer to an upstream request, the same whether it was served here or on the owning node. */
export interface HttpAnswer {
  status: number;
  body: unknown;
}

/**
 * The requests the HTTP transports make of the node that owns a session, over
 * the control bus, with their payloads (the cluster's catalogue,
 * `cluster/control-requests.ts`, checks them on arrival). A message is parsed
 * where it arrived (the JSON value of one command or a batch); the owning node
 * validates it, as it would a frame, and never parses it again.
 */
export interface UpstreamRequests {
  /** A session's upstream message: applied in `seq` order, exactly once, on the owning node. */
  'http-commands': { session: string; seq: number; message: unknown };
  /** A long-poll for a session's frames after `cursor`, held up to `waitMs`. */
  'http-poll': { session: string; cursor: number; waitMs: number };
}
type UpstreamType = keyof UpstreamRequests;

/** The control bus as the HTTP family uses it (`ClusterControl` is one). */
export interface UpstreamBus {
  request<T extends UpstreamType>(
    nodeId: string,
    type: T,
    payload: UpstreamRequests[T],
    timeoutMs: number,
  ): Promise<HttpAnswer>;
  /** Was this node ever heard of on the bus (gone since), as opposed to never known? */
  knewNode(nodeId: string): boolean;
  handleRequests<T extends UpstreamType>(
    type: T,
    handler: (payload: UpstreamRequests[T]) => HttpAnswer | Promise<HttpAnswer>,
  ): void;
}
