// How a value a caller gave is quoted in an error message. Parameters of timelines and the JS API
// are any JSON, and a JSON object may have an own `toString` or `valueOf` key, on which String()
// and template literals throw a TypeError instead of the EC2 error the value deserves.

/** `String(value)` when that works (so messages read as before), else the value as JSON. */
export function shown(value: unknown): string {
  try {
    return String(value);
  } catch {
    try {
      return JSON.stringify(value) ?? Object.prototype.toString.call(value);
    } catch {
      return Object.prototype.toString.call(value);
    }
  }
}
