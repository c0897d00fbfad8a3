import type { CostModel, FleetPlan, FleetTarget } from './fleet-model.js';
import { formatNumber as fmt } from './format-number.js';

/**
 * The costs, the target, every ceiling (the binding one marked ▶), the plan and the OS settings, as `switchboard size`
 * prints them.
 */
export function fleetReport(costs: CostModel, target: FleetTarget, plan: FleetPlan): string {
  const hs = Object.entries(costs.handshakeCpuUs)
    .map(([k, us]) => `${k} ${us} µs`)
    .join(', ');
  const del = Object.entries(costs.deliveryCpuUs)
    .map(([k, us]) => `${k} B ${us} µs`)
    .join(', ');
  return [
    `costs (${costs.measuredOn ?? 'given'}):`,
    `  idle connection ${fmt(costs.connectionBytes)} B user + ${fmt(costs.kernelBytes)} B kernel; ` +
      `subscription ${fmt(costs.subscriptionBytes)} B`,
    `  CPU per handshake: ${hs}; per delivery: ${del}; per publish through the engine: ${costs.publishCpuUs} µs`,
    '',
    `target: ${fmt(target.connections)} connections × ${target.subscriptionsPerConnection} ` +
      `subscriptions, ${fmt(target.publishRate)} publishes/s × fan-out ${target.fanout} ` +
      `= ${fmt(target.publishRate * target.fanout)} deliveries/s of ${target.payloadBytes} B; ` +
      `nodes of ${target.coresPerNode} cores / ${target.memoryGbPerNode} GiB`,
    '',
    'ceilings, connections per node:',
    ...plan.ceilings.map(
      (c) =>
        `  ${c.name === plan.binding ? '▶' : ' '} ${c.name.padEnd(16)}` +
        ` ${(Number.isFinite(c.perNode) ? fmt(Math.floor(c.perNode)) : 'none').padStart(12)}   ${c.detail}`,
    ),
    '',
    `plan: ${plan.nodes} node(s) (${target.spareNodes} spare) of ${fmt(plan.connectionsPerNode)} ` +
      `connections; ${plan.binding} binds`,
    ...plan.clusterLimits.map((l) => `  ${l.ok ? 'ok  ' : 'OVER'} ${l.name}: ${l.detail}`),
    '',
    'OS settings per node:',
    ...plan.osSettings.map((o) => `  ${o}`),
  ].join('\n');
}
