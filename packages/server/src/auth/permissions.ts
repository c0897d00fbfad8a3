import { commandErrors } from '../errors.js';
import type { ChannelPermissions, PermissionAction } from '../hooks.js';

export type { ChannelPermissions, PermissionAction };

const ACTIONS: readonly PermissionAction[] = ['subscribe', 'publish', 'history', 'presence', 'rpc'];

/**
 * Checks the shape of a permissions object (a JWT's `allow` claim, an `onConnecting` result); throws TypeError naming
 * the fault.
 */
export function parsePermissions(value: unknown): ChannelPermissions | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError('permissions must be an object');
  for (const [action, list] of Object.entries(value)) {
    if (!(ACTIONS as readonly string[]).includes(action))
      throw new TypeError(`permissions.${action} is not an action (${ACTIONS.join(', ')})`);
    if (!Array.isArray(list) || !list.every((p) => typeof p === 'string' && p !== ''))
      throw new TypeError(`permissions.${action} must be a list of non-empty strings`);
  }
  return value as ChannelPermissions;
}

/** Does `permissions` let the connection do `action` on `target`? */
export function permits(permissions: ChannelPermissions, action: PermissionAction, target: string): boolean {
  const readsLikeSubscribe = action === 'history' || action === 'presence';
  const patterns = permissions[action] ?? (readsLikeSubscribe ? permissions.subscribe : undefined) ?? [];
  return patterns.some((p) => (p.endsWith('*') ? target.startsWith(p.slice(0, -1)) : p === target));
}

/**
 * The one per-command check, run by every handler that touches a channel or an
 * RPC method, on every command: permissions may change with a `refresh`, and a
 * check made only at connect would miss that. Without permissions the namespace
 * rules alone decide. Refuses with 103.
 */
export function authorize(
  session: { permissions?: ChannelPermissions },
  action: PermissionAction,
  target: string,
): void {
  if (session.permissions && !permits(session.permissions, action, target)) {
    throw commandErrors.permissionDenied(
      action === 'rpc' ? `not allowed to call "${target}"` : `not allowed to ${action} on this channel`,
    );
  }
}
