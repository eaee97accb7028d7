// The courier's page: while it is open, the phone's position is shared every so often (the customers' tracking
// pages read it). The browser asks the courier first; without permission or a secure context nothing is sent.
const token = document.body.dataset.token;
const state = document.getElementById("share-state");
let last = 0;
if (token && "geolocation" in navigator) {
  navigator.geolocation.watchPosition(
    (p) => {
      const now = Date.now();
      if (now - last < 20_000) return;
      last = now;
      void fetch(`/courier/${token}/position`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ lat: p.coords.latitude, lng: p.coords.longitude }),
      }).then((r) => {
        if (r.ok && state) state.textContent = state.dataset.on ?? "";
      });
    },
    () => {
      if (state) state.textContent = state.dataset.off ?? "";
    },
    { enableHighAccuracy: true, maximumAge: 15_000 },
  );
}
