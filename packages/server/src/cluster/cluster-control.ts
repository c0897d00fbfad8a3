import { randomUUID } from 'node:crypto';
import type { ControlBus, ControlHandler, ControlMessage } from '@switchboard/engine';
import type { ClientInfo, Push } from '@switchboard/wire';
import type { Hub } from '../channels/hub.js';
import type { Logger } from '../logger.js';
import type { SessionRegistry } from '../sessions/session-registry.js';

/** What a node tells the others about itself (the `info` API). */
export interface NodeInfo {
  nodeId: string;
  name: string;
  connections: number;
  users: number;
  channels: number;
  uptimeMs: number;
}

/** Questions every node answers over the bus. */
export type SurveyOp = 'channels';

const ANNOUNCE_MS = 5000;
const NODE_EXPIRES_MS = 3 * ANNOUNCE_MS;

/**
 * Node-to-node commands over the engine's ControlBus: join/leave fan-out,
 * user-directed disconnect, unsubscribe and messages, node discovery, and
 * surveys (ask every node, gather the answers).
 */
export class ClusterControl implements ControlHandler {
  private bus!: ControlBus;
  private readonly nodes = new Map<string, { info: NodeInfo; seenAt: number }>();
  private readonly surveys = new Map<string, { answers: Map<string, unknown>; done: () => void }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly hub: Hub,
    private readonly sessions: SessionRegistry,
    private readonly self: () => NodeInfo,
    private readonly log: Logger,
  ) {}

  bind(bus: ControlBus): void {
    this.bus = bus;
  }

  start(): void {
    const announce = () => this.broadcast('node', this.self()).catch((error: unknown) => this.log.warn({ err: error }, 'node announce failed'));
    void announce();
    this.timer = setInterval(announce, ANNOUNCE_MS).unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  broadcast(type: string, payload: unknown): Promise<void> {
    return this.bus.broadcast(type, payload);
  }

  /** Live nodes: those heard from recently, and always this one. */
  liveNodes(): NodeInfo[] {
    const now = Date.now();
    const self = this.self();
    const others = [...this.nodes.values()].filter((n) => n.seenAt > now - NODE_EXPIRES_MS && n.info.nodeId !== self.nodeId).map((n) => n.info);
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
    const p = message.payload as Record<string, unknown>;
    switch (message.type) {
      case 'join':
      case 'leave':
        this.hub.pushToChannel(p.channel as string, { push: message.type, channel: p.channel as string, info: p.info as ClientInfo });
        break;
      case 'disconnect':
        for (const s of this.sessions.ofUser(p.userId as string)) s.disconnect(p.code as number, p.reason as string);
        break;
      case 'unsubscribe':
        for (const s of this.sessions.ofUser(p.userId as string)) s.serverUnsubscribe(p.channel as string, p.code as number, p.reason as string);
        break;
      case 'message':
        for (const s of this.sessions.ofUser(p.userId as string)) s.push({ push: 'message', data: p.data } satisfies Push);
        break;
      case 'node': {
        const known = this.nodes.has(message.from);
        this.nodes.set(message.from, { info: p as unknown as NodeInfo, seenAt: Date.now() });
        // A newcomer hears of us at once, not at our next announce: surveys count every node from the start.
        if (!known && message.from !== this.bus.nodeId) this.bus.send(message.from, 'node', this.self()).catch(() => {});
        break;
      }
      case 'survey':
        this.bus.send(message.from, 'survey-reply', { id: p.id, answer: this.answer(p.op as SurveyOp) }).catch(() => {});
        break;
      case 'survey-reply': {
        const survey = this.surveys.get(p.id as string);
        if (survey) {
          survey.answers.set(message.from, p.answer);
          survey.done();
        }
        break;
      }
      default:
        this.log.warn({ type: message.type, from: message.from }, 'unknown control message');
    }
  }

  private answer(op: SurveyOp): unknown {
    if (op === 'channels') return Object.fromEntries(this.hub.channelCounts());
    return null;
  }
}
