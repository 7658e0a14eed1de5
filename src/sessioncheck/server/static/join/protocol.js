// The protocols' constants, as the Python modules that define them say (served at
// /protocol.json by sessioncheck/server/page.py): message types, roles, versions, channel
// labels, packet kinds and sizes. Never copied here by hand.

const response = await fetch("/protocol.json", { cache: "no-store" });
if (!response.ok) throw new Error("sessioncheck: /protocol.json answered HTTP " + response.status);

export const PROTOCOL = await response.json();
export const ROOM = PROTOCOL.room;          // room signalling: types, roles, errors, version
export const CHANNELS = PROTOCOL.channels;  // data channel labels: therapist, client, sync
export const MEASURE = PROTOCOL.measure;    // measurement protocol: packet kinds, sizes, pacing
