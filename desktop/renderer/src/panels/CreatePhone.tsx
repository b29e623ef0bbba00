/**
 * The new-phone form, beside the new-token form: an emulated phone for IB Key (docs/sls.md, "IB
 * Key"): id, iOS or Android profile, OS version, the biometrics the platform has (Touch ID or Face
 * ID on iOS, fingerprint on Android), a passcode (iOS) and rooted (Android). The lab does not
 * refuse a phone below the IB Key requirements (iOS 11, Android 6, not rooted): QA creates such
 * phones to see activation refuse them. The form empties after a phone is created; a refusal from
 * the API is listed with the lab's other problems until dismissed.
 */
import { useState } from 'react';
import type { PhoneSpec } from '../../../../emulator/api/sls-client.ts';

export interface PhoneForm {
  id: string;
  os: 'ios' | 'android';
  version: string;
  biometrics: 'none' | 'touch-id' | 'face-id' | 'fingerprint';
  passcode: boolean;
  rooted: boolean;
}

export const EMPTY_PHONE: PhoneForm = { id: '', os: 'ios', version: '17', biometrics: 'face-id', passcode: true, rooted: false };

const BIOMETRICS: Record<PhoneForm['os'], { value: PhoneForm['biometrics']; label: string }[]> = {
  ios: [
    { value: 'none', label: 'None' },
    { value: 'touch-id', label: 'Touch ID' },
    { value: 'face-id', label: 'Face ID' },
  ],
  android: [
    { value: 'none', label: 'None' },
    { value: 'fingerprint', label: 'Fingerprint' },
  ],
};

/**
 * The API body of a form. A version that is not a whole number is sent as it was typed, so the
 * API's one line names the field (the form does not invent a value).
 */
export function phoneSpec(f: PhoneForm): PhoneSpec {
  const v = f.version.trim();
  return {
    ...(f.id.trim() && { id: f.id.trim() }),
    os: f.os,
    version: (/^\d+$/.test(v) ? Number(v) : v) as number,
    biometrics: f.biometrics,
    ...(f.os === 'ios' ? { passcode: f.passcode } : { rooted: f.rooted }),
  };
}

export function CreatePhone({ onCreate }: { onCreate: (spec: PhoneSpec) => Promise<boolean> }) {
  const [f, setF] = useState<PhoneForm>(EMPTY_PHONE);
  const [busy, setBusy] = useState(false);
  const setOs = (os: PhoneForm['os']) =>
    setF({ ...f, os, version: os === 'ios' ? '17' : '14', biometrics: os === 'ios' ? 'face-id' : 'fingerprint' });
  return (
    <form
      className="create"
      aria-label="create phone"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        try {
          if (await onCreate(phoneSpec(f))) setF({ ...EMPTY_PHONE });
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2>New phone (IB Key)</h2>
      <label>
        Phone id (empty = next free)
        <input value={f.id} onChange={(e) => setF({ ...f, id: e.target.value })} spellCheck={false} autoComplete="off" />
      </label>
      <fieldset>
        <legend>Platform</legend>
        <label className="inline">
          <input type="radio" name="phone-os" value="ios" checked={f.os === 'ios'} onChange={() => setOs('ios')} /> iOS
        </label>
        <label className="inline">
          <input type="radio" name="phone-os" value="android" checked={f.os === 'android'} onChange={() => setOs('android')} /> Android
        </label>
      </fieldset>
      <label>
        {f.os === 'ios' ? 'iOS' : 'Android'} version (IB Key needs {f.os === 'ios' ? '11' : '6'} or later)
        <input value={f.version} onChange={(e) => setF({ ...f, version: e.target.value })} inputMode="numeric" autoComplete="off" />
      </label>
      <label>
        Biometrics
        <select value={f.biometrics} onChange={(e) => setF({ ...f, biometrics: e.target.value as PhoneForm['biometrics'] })}>
          {BIOMETRICS[f.os].map((b) => (
            <option key={b.value} value={b.value}>
              {b.label}
            </option>
          ))}
        </select>
      </label>
      <div className="create-check">
        {f.os === 'ios' ? (
          <label className="inline">
            <input type="checkbox" checked={f.passcode} onChange={(e) => setF({ ...f, passcode: e.target.checked })} /> passcode set
          </label>
        ) : (
          <label className="inline">
            <input type="checkbox" checked={f.rooted} onChange={(e) => setF({ ...f, rooted: e.target.checked })} /> rooted
          </label>
        )}
      </div>
      <button type="submit" disabled={busy}>
        Create phone
      </button>
    </form>
  );
}
