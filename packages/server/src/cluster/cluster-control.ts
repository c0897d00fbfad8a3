import { randomUUID } from 'node:crypto';
import type { ControlBus, ControlHandler, ControlMessage } from '@switchboard/engine';
import type { Hub } from '../channels/hub.js';
import type { Logger } from '../logger.js';
import type { DrainPlan } from '../sessions/drain.js';
import type { SessionRegistry } from '../sessions/session-registry.js';
import {
  isControlCommand,
  type ControlCommand,
  type ControlPayloads,
  type ControlType,
  type NodeInfo,
  type SurveyOp,
} from './control-messages.js';
import {
  isAnswer,
  isControlRequest,
  type ControlAnswer,
  type ControlRequests,
  type ControlRequestType,
} from './control-requests.js';

const ANNOUNCE_MS = 5000;

/** What the bus may ask of this node beyond sessions and channels. */
export interface LocalNode {
  /** The dashboard's figures (survey `stats`). */
  stats(): Promise<unknown>;
  drain(plan: Partial<DrainPlan>): Promise<number>;
}
const NODE_EXPIRES_MS = 3 * ANNOUNCE_MS;

/** Another node answered a control request with something outside the catalogue. */
class MalformedAnswerError extends Error {
  override name = 'MalformedAnswerError';
  constructor(type: string) {
    super(`malformed answer to control request ${type}`);
  }
}

/**
 * Node-to-node commands over the engine's ControlBus: join/leave fan-out,
 * user-directed disconnect, unsubscribe and messages, node discovery, and
 * surveys (ask every node, gather the answers). Messages are typed by
 * `ControlPayloads` and checked on arrival.
 */
export class ClusterControl implements ControlHandler {
  private bus!: ControlBus;
  private readonly nodes = new Map<string, { info: NodeInfo; seenAt: number }>();
  private readonly surveys = new Map<string, { answers: Map<string, unknown>; done: () => void }>();
  private timer: NodeJS.Timeout | undefined;
  private readonly requestHandlers = new Map<ControlRequestType, (payload: never) => unknown>();
  private counts: ((channel: string) => void) | undefined;

  constructor(
    private readonly hub: Pick<Hub, 'pushToChannel' | 'channelCounts'>,
    private readonly sessions: Pick<SessionRegistry, 'ofUser'>,
    private readonly self: () => NodeInfo,
    private readonly log: Logger,
    private readonly local: LocalNode = { stats: async () => null, drain: async () => 0 },
  ) {}

  bind(bus: ControlBus): void {
    this.bus = bus;
  }

  /** Serves control-bus requests of `type` (the sticky-free transports' forwarded upstream requests). */
  handleRequests<T extends ControlRequestType>(
    type: T,
    handler: (payload: ControlRequests[T]) => ControlAnswer | Promise<ControlAnswer>,
  ): void {
    this.requestHandlers.set(type, handler);
  }

  /**
   * A request from another node: checked against the catalogue, then served (a malformed one fails: the sender gets
   * `SB_ERR_CONTROL_HANDLER`).
   */
  onRequest(message: ControlMessage): unknown {
    if (!isControlRequest(message)) throw new Error(`unknown or malformed control request of type ${message.type}`);
    const handler = this.requestHandlers.get(message.type) as ((payload: unknown) => unknown) | undefined;
    if (!handler) throw new Error(`no handler for control requests of type ${message.type}`);
    return handler(message.payload);
  }

  /** Told of every `count` message (any node's subscription count change, this one's included). */
  watchCounts(listener: (channel: string) => void): void {
    this.counts = listener;
  }

  /** Was `nodeId` ever heard of on the bus (as opposed to an id no node ever had)? */
  knewNode(nodeId: string): boolean {
    return this.nodes.has(nodeId);
  }

  /** Sends a request to one node and waits for its answer; an answer of the wrong shape rejects. */
  async request<T extends ControlRequestType>(
    nodeId: string,
    type: T,
    payload: ControlRequests[T],
    timeoutMs: number,
  ): Promise<ControlAnswer> {
    const answer = await this.bus.request(nodeId, type, payload, { timeoutMs });
    if (!isAnswer(answer)) throw new MalformedAnswerError(type);
    return answer;
  }

  start(): void {
    const announce = () =>
      this.broadcast('node', this.self()).catch((error: unknown) =>
        this.log.warn({ err: error }, 'node announce failed'),
      );
    void announce();
    this.timer = setInterval(announce, ANNOUNCE_MS).unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  broadcast<T extends ControlType>(type: T, payload: ControlPayloads[T]): Promise<void> {
    return this.bus.broadcast(type, payload);
  }

  private send<T extends ControlType>(nodeId: string, type: T, payload: ControlPayloads[T]): void {
    this.bus.send(nodeId, type, payload).catch(() => {});
  }

  /** Asks another node to drain (negative plan fields: its own options). */
  drainNode(nodeId: string, plan: ControlPayloads['drain']): Promise<void> {
    return this.bus.send(nodeId, 'drain', plan);
  }

  /** Live nodes: those heard from recently, and always this one. */
  liveNodes(): NodeInfo[] {
    const now = Date.now();
    const self = this.self();
    const others = [...this.nodes.values()]
      .filter((n) => n.seenAt > now - NODE_EXPIRES_MS && n.info.nodeId !== self.nodeId)
      .map((n) => n.info);
    return [self, ...others];
  }

  /** Asks every live node; resolves with the answers that arrived within `timeoutMs`. */
  async survey(op: SurveyOp, timeoutMs = 2000): Promise<Map<string, unknown>> {
    const id = randomUUID();
    const expected = new Set(this.liveNodes().map((n) => n.nodeId));
    const answers = new Map<string, unknown>();
    let timer: NodeJS.Timeout | undefined;
    // A bus that cannot be reached fails the survey (115), rather than answering with no nodes.
    await new Promise<void>((resolve, reject) => {
      this.surveys.set(id, {
        answers,
        done: () => {
          if ([...expected].every((n) => answers.has(n))) resolve();
        },
      });
      timer = setTimeout(resolve, timeoutMs);
      this.broadcast('survey', { id, op }).catch(reject);
    }).finally(() => {
      clearTimeout(timer);
      this.surveys.delete(id);
    });
    return answers;
  }

  onControl(message: ControlMessage): void {
    // The engine may deliver before `bind` (another node's announce while ours is still starting): nothing can be
    // answered yet, and nothing is lost, since our own announce at `start()` makes every node answer us.
    if ((this.bus as ControlBus | undefined) === undefined) return;
    if (!isControlCommand(message))
      return this.log.warn({ type: message.type, from: message.from }, 'unknown or malformed control message');
    this.handle(message);
  }

  private handle(message: ControlCommand): void {
    switch (message.type) {
      case 'join':
      case 'leave': {
        const { channel, info } = message.payload;
        return this.hub.pushToChannel(channel, { push: message.type, channel, info });
      }
      case 'presence': {
        const { channel, joins, leaves } = message.payload;
        return this.hub.pushToChannel(channel, { push: 'presence', channel, joins, leaves });
      }
      case 'count':
        return this.counts?.(message.payload.channel);
      case 'subscribe': {
        const { userId, channel, since } = message.payload;
        for (const s of this.sessions.ofUser(userId)) s.serverSubscribe(channel, since);
        return;
      }
      case 'refresh': {
        const { userId, client, expiresAt } = message.payload;
        for (const s of this.sessions.ofUser(userId))
          if (client === undefined || s.clientId === client) s.renewed(expiresAt);
        return;
      }
      case 'disconnect': {
        const { userId, code, reason } = message.payload;
        for (const s of this.sessions.ofUser(userId)) s.disconnect(code, reason);
        return;
      }
      case 'unsubscribe': {
        const { userId, channel, code, reason } = message.payload;
        for (const s of this.sessions.ofUser(userId)) s.serverUnsubscribe(channel, code, reason);
        return;
      }
      case 'message':
        for (const s of this.sessions.ofUser(message.payload.userId))
          s.push({ push: 'message', data: message.payload.data });
        return;
      case 'node': {
        const known = this.nodes.has(message.from);
        this.nodes.set(message.from, { info: message.payload, seenAt: Date.now() });
        // A newcomer hears of us at once, not at our next announce: surveys count every node from the start.
        if (!known && message.from !== this.bus.nodeId) this.send(message.from, 'node', this.self());
        return;
      }
      case 'survey': {
        const { id, op } = message.payload;
        void this.answer(op).then(
          (answer) => this.send(message.from, 'survey-reply', { id, answer }),
          (error: unknown) => this.log.warn({ err: error, op }, 'survey answer failed'),
        );
        return;
      }
      case 'drain': {
        // Negative fields mean "this node's own option".
        const { code, batchSize, intervalMs, reconnectWindowMs } = message.payload;
        const own = (v: number) => (v >= 0 ? v : undefined);
        void this.local.drain({
          code,
          batchSize: own(batchSize),
          intervalMs: own(intervalMs),
          reconnectWindowMs: own(reconnectWindowMs),
        });
        return;
      }
      case 'survey-reply': {
        const survey = this.surveys.get(message.payload.id);
        survey?.answers.set(message.from, message.payload.answer);
        survey?.done();
        return;
      }
    }
  }

  private async answer(op: SurveyOp): Promise<unknown> {
    if (op === 'channels') return Object.fromEntries(this.hub.channelCounts());
    if (op === 'stats') return this.local.stats();
    return null;
  }
}
