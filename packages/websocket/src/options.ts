/** Throws a TypeError naming the first of `names` that is set but not a positive integer. */
export function assertPositiveIntegers<T extends object>(
  owner: string,
  options: T,
  names: readonly (keyof T & string)[],
): void {
  for (const name of names) {
    const value = options[name];
    if (value !== undefined && !(Number.isInteger(value) && (value as number) > 0)) {
      throw new TypeError(`${owner} option ${name} must be a positive integer, got ${value}`);
    }
  }
}
