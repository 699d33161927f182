// Names of the v1 system collections (Namespace.system): engine state that is not a user document, logged and
// snapshotted like one. Collection names are free text, so composite names use JSON arrays, never separators.

export const idemColl = 'idem';
export const noncesColl = 'nonces';
export const ttlColl = 'ttl';
const edgesPrefix = 'edges:';

/** One collection per (frm, rel): its ids are the `to` keys, so neighbors is one collection scan. */
export function edgeColl(frm: string, rel: string): string {
  return `${edgesPrefix}${JSON.stringify([frm, rel])}`;
}

export function parseEdgeColl(coll: string): { frm: string; rel: string } | undefined {
  if (!coll.startsWith(edgesPrefix)) return undefined;
  const parsed = JSON.parse(coll.slice(edgesPrefix.length)) as unknown;
  return Array.isArray(parsed) && typeof parsed[0] === 'string' && typeof parsed[1] === 'string'
    ? { frm: parsed[0], rel: parsed[1] }
    : undefined;
}

export function ttlId(coll: string, id: string): string {
  return JSON.stringify([coll, id]);
}
