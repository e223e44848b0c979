// A recorded GPS point as an admin reads it: the coordinates as stored and a plain link to a public
// map. A link only (no script, no embedded tiles): the console's CSP allows neither, and an admin
// who wants the map leaves the console for it.
import { haversineMeters } from '../riders/index.js';
import { type Html, html } from './html.js';

export interface LatLng {
  lat: number;
  lng: number;
}

/** A point only when both coordinates are real numbers in range; anything else counts as none. */
export function pointOf(lat: number | null | undefined, lng: number | null | undefined): LatLng | null {
  if (typeof lat !== 'number' || typeof lng !== 'number') return null;
  if (!Number.isFinite(lat) || !Number.isFinite(lng) || Math.abs(lat) > 90 || Math.abs(lng) > 180)
    return null;
  return { lat, lng };
}

/** The OpenStreetMap page with a marker on the point, zoomed to street level. */
export function mapUrl(p: LatLng): string {
  return `https://www.openstreetmap.org/?mlat=${p.lat}&mlon=${p.lng}#map=18/${p.lat}/${p.lng}`;
}

/** Whole metres, grouped ("3,494 m"): an admin compares "next door" with "across town". */
export function metresText(m: number): string {
  return `${Math.round(m).toLocaleString('en-US')} m`;
}

/** Metres between two points, or null when either is missing. */
export function metresApart(a: LatLng | null, b: LatLng | null): number | null {
  return a && b ? haversineMeters(a, b) : null;
}

/** The coordinates and a map link, or a plain "no location recorded" (never a link to nowhere). */
export function placeCell(p: LatLng | null): Html {
  return p
    ? html`<span class="place">${p.lat}, ${p.lng}</span> <a href="${mapUrl(p)}" rel="noreferrer">map</a>`
    : html`<span class="muted">no location recorded</span>`;
}
