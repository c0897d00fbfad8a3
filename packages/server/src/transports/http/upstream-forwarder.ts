import { ControlRequestError, ControlRequestErrorCode, EngineUnavailableError } from '@switchboard/engine';
import { answer, UpstreamError, type HttpSessions } from './http-sessions.js';
import type { HttpAnswer, UpstreamBus, UpstreamRequests } from './upstream-requests.js';

/** An upstream request, parsed where it arrived, and the node that serves it. */
export type Upstream =
  | { type: 'http-commands'; node: string; request: UpstreamRequests['http-commands'] }
  | { type: 'http-poll'; node: string; request: UpstreamRequests['http-poll'] };

/**
 * The HTTP family's leg between nodes: an upstream request for a session of
 * another node goes there as a typed control request (`upstream-requests.ts`),
 * its message already parsed, and every failure of the bus becomes a
 * documented answer. The owning node validates it and applies it in order.
 */
export class UpstreamForwarder {
  constructor(
    private readonly nodeId: string,
    private readonly sessions: HttpSessions,
    private readonly cluster: UpstreamBus,
    /** How long a forwarded request waits for the owning node (plus a poll's wait). */
    private readonly timeoutMs: number,
  ) {
    cluster.handleRequests('http-commands', (r) => this.serve({ type: 'http-commands', node: nodeId, request: r }));
    cluster.handleRequests('http-poll', (r) => this.serve({ type: 'http-poll', node: nodeId, request: r }));
  }

  /** Serves the request here or on its node; `forwarded` says which. */
  async handle(upstream: Upstream): Promise<{ answer: HttpAnswer; forwarded: boolean }> {
    if (upstream.node === this.nodeId) return { answer: await this.serve(upstream), forwarded: false };
    return { answer: await this.forward(upstream), forwarded: true };
  }

  private serve(upstream: Upstream): HttpAnswer | Promise<HttpAnswer> {
    if (upstream.type === 'http-poll') {
      const { session, cursor, waitMs } = upstream.request;
      return this.sessions.poll(session, cursor, waitMs);
    }
    const { session, seq, message } = upstream.request;
    return this.sessions.upstream(session, seq, message);
  }

  private async forward(upstream: Upstream): Promise<HttpAnswer> {
    const { node } = upstream;
    const timeoutMs = this.timeoutMs + (upstream.type === 'http-poll' ? upstream.request.waitMs : 0);
    try {
      return upstream.type === 'http-poll'
        ? await this.cluster.request(node, 'http-poll', upstream.request, timeoutMs)
        : await this.cluster.request(node, 'http-commands', upstream.request, timeoutMs);
    } catch (error) {
      if (error instanceof ControlRequestError) {
        if (error.code === ControlRequestErrorCode.NoSuchNode) {
          return this.cluster.knewNode(node)
            ? answer.error(410, UpstreamError.OwnerGone, "the session's node is gone: reconnect")
            : answer.error(404, UpstreamError.UnknownNode, 'unknown node');
        }
        if (error.code === ControlRequestErrorCode.Timeout)
          return answer.error(
            504,
            UpstreamError.Timeout,
            "the session's node did not answer in time: retry with the same seq",
          );
      }
      if (error instanceof EngineUnavailableError)
        return answer.error(503, UpstreamError.Unavailable, 'the cluster bus is unavailable: retry');
      return answer.error(502, UpstreamError.Unavailable, "the session's node failed to answer");
    }
  }
}
