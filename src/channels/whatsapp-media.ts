// What WhatsApp accepts as media, by kind (Meta's Cloud API limits; a number paired by QR sends through the same
// service, so the same limits hold there). A file outside them is refused before it is queued, in words.
import type { MediaLimits } from "../platform/files.ts";

const MB = 1048576;
export const WHATSAPP_MEDIA: MediaLimits = {
  channel: "WhatsApp",
  rules: [
    { kind: "image", mimes: ["image/jpeg", "image/png"], maxBytes: 5 * MB },
    { kind: "video", mimes: ["video/mp4", "video/3gpp"], maxBytes: 16 * MB },
    { kind: "audio", mimes: ["audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"], maxBytes: 16 * MB },
    {
      kind: "document",
      mimes: [
        "application/pdf",
        "text/plain",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      ],
      maxBytes: 100 * MB,
    },
  ],
};
