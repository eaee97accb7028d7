// A store in Mexico City's Zócalo, and points due east of it at a given distance (1 km of longitude there is
// 1/(111.195·cos 19.43°) degrees, on the 6,371 km sphere the haversine uses): what the delivery tests measure from.
export const STORE = { lat: 19.4326, lng: -99.1332 };
export const east = (km: number) => ({
  lat: STORE.lat,
  lng: STORE.lng + km / (111.1949 * Math.cos((STORE.lat * Math.PI) / 180)),
});
