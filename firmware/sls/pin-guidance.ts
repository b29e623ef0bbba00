/**
 * PIN guidance (help page KB2269), applied wherever a PIN is chosen. Refused: a PIN made from the
 * user's date of birth, address (street number, postal code), ID or SSN digits, phone numbers,
 * or the user's or family names. Warned: initials in the PIN, and an alphanumeric PIN that does
 * not mix upper case, lower case and digits. Refusals and warnings never repeat the PIN itself.
 */
export interface PinContext {
  /** YYYY-MM-DD */
  dateOfBirth?: string;
  address?: { street?: string; city?: string; postalCode?: string };
  idNumber?: string;
  phones?: string[];
  /** The user's names and family names ("Ann Marie Smith", "Jones"). */
  names?: string[];
}

export interface PinAdvice {
  ok: boolean;
  refusals: string[];
  warnings: string[];
}

const digitsOf = (s: string) => s.replace(/\D/g, '');

/** Digit runs a PIN must not be made from, by the reason given. */
function dateForms(dob: string): string[] {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(dob);
  if (!m) return [];
  const [, y, mo, d] = m;
  const yy = y.slice(2);
  return [y, d + mo, mo + d, d + mo + yy, mo + d + yy, yy + mo + d, d + mo + y, mo + d + y, y + mo + d];
}

/** Does the PIN's digit content match or lie inside a datum (at least 4 digits in common)? */
function digitClash(pinDigits: string, datum: string): boolean {
  if (pinDigits.length < 4 || datum.length < 4) return false;
  return datum.includes(pinDigits) || pinDigits.includes(datum);
}

export function checkPin(pin: string, ctx: PinContext): PinAdvice {
  const refusals: string[] = [];
  const warnings: string[] = [];
  const pd = digitsOf(pin);
  const lower = pin.toLowerCase();
  if (ctx.dateOfBirth && dateForms(ctx.dateOfBirth).some((f) => digitClash(pd, f))) refusals.push('the PIN contains your date of birth');
  const street = digitsOf(ctx.address?.street ?? '');
  if (street.length >= 2 && pd === street) refusals.push('the PIN is your street number');
  const postal = ctx.address?.postalCode?.replace(/\s/g, '').toLowerCase() ?? '';
  if (postal.length >= 3 && (lower.includes(postal) || digitClash(pd, digitsOf(postal))))
    refusals.push('the PIN contains your postal code');
  if (ctx.idNumber && digitClash(pd, digitsOf(ctx.idNumber))) refusals.push('the PIN contains digits of your ID or SSN');
  if ((ctx.phones ?? []).some((p) => digitClash(pd, digitsOf(p)))) refusals.push('the PIN contains a phone number of yours');
  const words = (ctx.names ?? []).flatMap((n) => n.toLowerCase().split(/[\s-]+/)).filter((w) => w.length >= 3);
  if (words.some((w) => lower.includes(w))) refusals.push('the PIN contains your name or a family name');
  const city = ctx.address?.city?.toLowerCase() ?? '';
  if (city.length >= 3 && lower.includes(city)) refusals.push('the PIN contains part of your address');
  const initials = (ctx.names ?? [])
    .map((n) =>
      n
        .split(/[\s-]+/)
        .filter(Boolean)
        .map((w) => w[0].toLowerCase())
        .join(''),
    )
    .filter((i) => i.length >= 2);
  if (initials.some((i) => lower.includes(i))) warnings.push('the PIN contains your initials');
  if (/[a-z]/i.test(pin) && !(/[a-z]/.test(pin) && /[A-Z]/.test(pin) && /\d/.test(pin)))
    warnings.push('mix upper case, lower case letters and digits');
  return { ok: refusals.length === 0, refusals, warnings };
}
