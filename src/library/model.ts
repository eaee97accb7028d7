// How other domains name the library's files in what they store (a rule's message, a step, a flow's node): by id,
// at most ten to a message. Kept apart from the service so schemas can use it without importing the database.
import { z } from "zod";
import { idRef } from "../platform/validation.ts";

export const libraryRefs = z.array(idRef).max(10);
